import t from 'tap'
import { createServer, IncomingHttpHeaders, Server } from 'http'
import { functionFolder, startHost } from './host'

interface Received {
  path: string
  headers: IncomingHttpHeaders
  body: string
}

/** A loopback HTTP receiver that records what it is sent: stands in for an OTLP collector or the event publisher. */
async function receiver(t: { teardown(cleanup: () => unknown): void }): Promise<{ url: string; received: Received[]; next(): Promise<Received> }> {
  const received: Received[] = []
  const waiting: Array<(r: Received) => void> = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const entry = { path: req.url || '', headers: req.headers, body: Buffer.concat(chunks).toString() }
      received.push(entry)
      waiting.splice(0).forEach((resolve) => resolve(entry))
      res.end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    received,
    next: () => new Promise((resolve) => waiting.push(resolve)),
  }
}

const incomingTrace = '0af7651916cd43dd8448eb211c80319c'
const incomingSpan = 'b7ad6b7169203331'

for (const runtime of ['nodejs10', 'nodejs22'] as const) {
  t.test(`${runtime}: with OTEL_EXPORTER_OTLP_ENDPOINT set, each call becomes an OTLP span in the caller's trace`, async (t) => {
    const collector = await receiver(t)
    const fn = functionFolder({ 'handler.js': "module.exports = { main: () => 'traced' }" })
    t.teardown(fn.remove)
    const host = await startHost(runtime, fn.dir, { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: 'orders' })
    t.teardown(() => host.stop())
    const exported = collector.next()
    await fetch(`${host.url}/orders?id=1`, { headers: { traceparent: `00-${incomingTrace}-${incomingSpan}-01` } })
    const request = await exported
    t.equal(request.path, '/v1/traces')
    t.equal(request.headers['content-type'], 'application/json')
    const payload = JSON.parse(request.body)
    const resource = payload.resourceSpans[0]
    t.same(resource.resource.attributes, [{ key: 'service.name', value: { stringValue: 'orders' } }])
    const span = resource.scopeSpans[0].spans[0]
    t.equal(span.traceId, incomingTrace)
    t.equal(span.parentSpanId, incomingSpan)
    t.match(span.spanId, /^[0-9a-f]{16}$/)
    t.equal(span.name, 'GET /orders')
    t.equal(span.kind, 2)
    t.ok(BigInt(span.endTimeUnixNano) >= BigInt(span.startTimeUnixNano))
    t.same(
      span.attributes.find((a: { key: string }) => a.key === 'http.status_code'),
      { key: 'http.status_code', value: { intValue: '200' } },
    )
  })
}

t.test('event.tracing shows the incoming W3C and B3 trace headers', async (t) => {
  const fn = functionFolder({ 'handler.js': 'module.exports = { main: (event) => event.tracing }' })
  t.teardown(fn.remove)
  const host = await startHost('nodejs12', fn.dir)
  t.teardown(() => host.stop())
  const headers = {
    traceparent: `00-${incomingTrace}-${incomingSpan}-01`,
    tracestate: 'a=b',
    'x-b3-traceid': incomingTrace,
    'x-b3-spanid': incomingSpan,
    'x-b3-sampled': '1',
  }
  t.same(await (await fetch(`${host.url}/`, { headers })).json(), headers)
})

for (const otel of [false, true]) {
  t.test(`publishCloudEvent posts a structured CloudEvent to PUBLISHER_PROXY_ADDRESS with the trace headers${otel ? ' (span as parent)' : ''}`, async (t) => {
    const publisher = await receiver(t)
    const collector = await receiver(t)
    const fn = functionFolder({
      'handler.js': `module.exports = { main: async (event) => {
        const sent = await event.publishCloudEvent(event.buildResponseCloudEvent('r-1', 'order.done', { ok: true }))
        return { status: sent.status }
      } }`,
    })
    t.teardown(fn.remove)
    const env: Record<string, string> = { PUBLISHER_PROXY_ADDRESS: `${publisher.url}/publish` }
    if (otel) env.OTEL_EXPORTER_OTLP_ENDPOINT = collector.url
    const host = await startHost('nodejs10', fn.dir, env)
    t.teardown(() => host.stop())
    const response = await fetch(`${host.url}/`, {
      method: 'POST',
      headers: {
        'ce-source': '/shop',
        'ce-specversion': '1.0',
        'ce-eventtypeversion': 'v1',
        'ce-type': 'order.placed',
        'ce-id': 'e-1',
        traceparent: `00-${incomingTrace}-${incomingSpan}-01`,
        'x-b3-traceid': incomingTrace,
      },
      body: '',
    })
    t.same(await response.json(), { status: 200 })
    const published = publisher.received[0]
    t.equal(published.path, '/publish')
    t.equal(published.headers['content-type'], 'application/cloudevents+json')
    t.equal(published.headers['x-b3-traceid'], incomingTrace)
    const parent = otel ? /^00-0af7651916cd43dd8448eb211c80319c-(?!b7ad6b7169203331)[0-9a-f]{16}-01$/ : `00-${incomingTrace}-${incomingSpan}-01`
    t.match(published.headers.traceparent, parent)
    t.same(JSON.parse(published.body), { type: 'order.done', source: '/shop', eventtypeversion: 'v1', specversion: '1.0', id: 'r-1', data: { ok: true } })
  })
}
