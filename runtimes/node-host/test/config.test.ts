import t from 'tap'
import { readConfig } from '../src/config'

t.test('defaults match the 1.x runtimes', async (t) => {
  const config = readConfig({})
  t.equal(config.port, 8080)
  t.equal(config.functionDir, '/kubeless')
  t.equal(config.moduleName, 'handler')
  t.equal(config.handlerName, 'main')
  t.equal(config.timeoutSeconds, 180)
  t.equal(config.bodyLimitBytes, 1024 * 1024)
  t.equal(config.runtime, undefined)
  t.equal(config.memoryLimit, undefined)
  t.equal(config.otlpEndpoint, undefined)
  t.equal(config.accessLog, false)
})

t.test('values are read from the environment', async (t) => {
  const config = readConfig({
    FUNC_PORT: '9000',
    KUBELESS_INSTALL_VOLUME: '/tmp/fn',
    MOD_NAME: 'index',
    FUNC_HANDLER: 'handle',
    FUNC_TIMEOUT: '2.5',
    FUNC_RUNTIME: 'nodejs12',
    FUNC_MEMORY_LIMIT: '128Mi',
    REQ_MB_LIMIT: '10',
    PUBLISHER_PROXY_ADDRESS: 'http://publisher/publish',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    KYMA_INTERNAL_LOGGER_ENABLED: 'false',
  })
  t.same(
    { ...config },
    {
      port: 9000,
      functionDir: '/tmp/fn',
      moduleName: 'index',
      handlerName: 'handle',
      timeoutSeconds: 2.5,
      runtime: 'nodejs12',
      memoryLimit: '128Mi',
      bodyLimitBytes: 10 * 1024 * 1024,
      publisherProxyAddress: 'http://publisher/publish',
      otlpEndpoint: 'http://collector:4318',
      serviceName: 'kless-function',
      accessLog: true,
    },
  )
})

const invalid: Array<[Record<string, string>, RegExp]> = [
  [{ FUNC_TIMEOUT: 'abc' }, /^FUNC_TIMEOUT="abc" is not a positive number$/],
  [{ FUNC_TIMEOUT: '0' }, /^FUNC_TIMEOUT="0" is not a positive number$/],
  [{ FUNC_TIMEOUT: '-5' }, /FUNC_TIMEOUT/],
  [{ REQ_MB_LIMIT: '1MB' }, /^REQ_MB_LIMIT="1MB" is not a positive number$/],
  [{ FUNC_PORT: '80.5' }, /^FUNC_PORT="80.5" is not a positive integer$/],
  [{ FUNC_PORT: '70000' }, /^FUNC_PORT=70000 is not a TCP port/],
  [{ MOD_NAME: '../etc/passwd' }, /^MOD_NAME="..\/etc\/passwd" must be a plain name/],
  [{ FUNC_HANDLER: 'a b' }, /^FUNC_HANDLER="a b" must be a plain name/],
  [{ PUBLISHER_PROXY_ADDRESS: 'publisher:8080' }, /^PUBLISHER_PROXY_ADDRESS="publisher:8080" must be an http/],
  [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }, /^OTEL_EXPORTER_OTLP_ENDPOINT="not a url" is not a URL$/],
]
for (const [env, message] of invalid) {
  t.test(`rejects ${JSON.stringify(env)}`, async (t) => {
    t.throws(() => readConfig(env), { message })
  })
}

t.test('an empty value means the default, as with an unset variable', async (t) => {
  t.equal(readConfig({ FUNC_TIMEOUT: '', REQ_MB_LIMIT: ' ' }).timeoutSeconds, 180)
})
