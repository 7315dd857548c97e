import t from 'tap'
import { FunctionMetrics } from '../src/metrics'

t.test('the exposition has the three function metrics labelled <MOD_NAME>-<METHOD>', async (t) => {
  const metrics = new FunctionMetrics('handler')
  const get = metrics.forMethod('GET')
  get.calls += 3
  get.failures += 1
  for (const seconds of [0.001, 0.005, 0.3]) get.observe(seconds)
  metrics.forMethod('POST').calls++
  t.equal(metrics.forMethod('GET'), get, 'series are kept per method')

  const { contentType, text } = await metrics.exposition()
  t.match(contentType, /^text\/plain; version=0\.0\.4/)
  t.match(text, '# TYPE function_calls_total counter\nfunction_calls_total{method="handler-GET"} 3\nfunction_calls_total{method="handler-POST"} 1\n')
  t.match(text, '# TYPE function_failures_total counter\nfunction_failures_total{method="handler-GET"} 1\n')
  t.notMatch(text, 'function_failures_total{method="handler-POST"}', 'no series before the first failure, as prom-client shows it')
  t.match(text, '# TYPE function_duration_seconds histogram\n')
  t.match(text, 'function_duration_seconds_bucket{le="0.005",method="handler-GET"} 2\n', 'a value on a bound counts in that bucket')
  t.match(text, 'function_duration_seconds_bucket{le="0.25",method="handler-GET"} 2\n')
  t.match(text, 'function_duration_seconds_bucket{le="0.5",method="handler-GET"} 3\n')
  t.match(text, 'function_duration_seconds_bucket{le="+Inf",method="handler-GET"} 3\n')
  t.match(text, 'function_duration_seconds_sum{method="handler-GET"} 0.306\n')
  t.match(text, 'function_duration_seconds_count{method="handler-GET"} 3\n')
  t.match(text, 'function_duration_seconds_count{method="handler-POST"} 0')
})

t.test('scrapes read the current figures every time', async (t) => {
  const metrics = new FunctionMetrics('fn')
  metrics.forMethod('PUT').calls++
  t.match((await metrics.exposition()).text, 'function_calls_total{method="fn-PUT"} 1\n')
  metrics.forMethod('PUT').calls++
  t.match((await metrics.exposition()).text, 'function_calls_total{method="fn-PUT"} 2\n')
})
