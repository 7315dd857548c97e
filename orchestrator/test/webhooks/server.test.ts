import t from 'tap'
import { Agent, request } from 'https'
import { DEFAULT_WEBHOOK_VALUES as values } from '../../src/api/config.js'
import { startWebhookServer, webhookRoutes, type WebhookServer } from '../../src/webhooks/server.js'
import { generateCertificates, type CertificateBundle } from '../../src/webhooks/tls.js'
import { fuzzCase, seededRandom } from './fuzz.js'

const FUZZ_REVIEWS = 10_000
const CONCURRENCY = 16
/** Latency without queueing behind other reviews. */
const SEQUENTIAL_REVIEWS = 1000

interface Answer {
  status: number
  body: string
}

function post(port: number, path: string, body: string | Buffer, agent: Agent | { ca?: string }, method = 'POST'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const tls = agent instanceof Agent ? { agent } : { ...agent, agent: false as const }
    const req = request({ host: '127.0.0.1', port, path, method, headers: { 'content-type': 'application/json' }, ...tls }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

let bundle: CertificateBundle
let server: WebhookServer

t.before(async () => {
  bundle = generateCertificates(['127.0.0.1', 'localhost'])
  server = await startWebhookServer({
    host: '127.0.0.1',
    port: 0,
    certificate: { cert: bundle['tls.crt'], key: bundle['tls.key'] },
    routes: webhookRoutes(values),
  })
})
t.teardown(() => server.close())

t.test('a client that trusts the CA is served; one that does not is refused', async (t) => {
  t.match(await post(server.port, '/healthz', '', { ca: bundle['ca.crt'] }, 'GET'), { status: 200, body: 'ok\n' })
  await t.rejects(post(server.port, '/healthz', '', {}, 'GET'), {
    code: /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/,
  })
  const stranger = generateCertificates(['127.0.0.1'])
  await t.rejects(post(server.port, '/healthz', '', { ca: stranger['ca.crt'] }, 'GET'), {
    code: /UNABLE_TO_VERIFY_LEAF_SIGNATURE|CERT_SIGNATURE_FAILURE|SELF_SIGNED/,
  })
})

t.test('a rotated certificate is served to new connections', async (t) => {
  const renewed = generateCertificates(['127.0.0.1'])
  server.useCertificate({ cert: renewed['tls.crt'], key: renewed['tls.key'] })
  t.match(await post(server.port, '/healthz', '', { ca: renewed['ca.crt'] }, 'GET'), { status: 200 })
  await t.rejects(post(server.port, '/healthz', '', { ca: bundle['ca.crt'] }, 'GET'))
  server.useCertificate({ cert: bundle['tls.crt'], key: bundle['tls.key'] })
})

t.test('requests that are not reviews get plain HTTP errors', async (t) => {
  const trusted = { ca: bundle['ca.crt'] }
  t.match(await post(server.port, '/nope', '{}', trusted), {
    status: 404,
    body: /no webhook at \/nope; webhooks: \/defaulting, \/validation, \/registry-secret/,
  })
  t.match(await post(server.port, '/validation', '', trusted, 'GET'), { status: 405 })
  t.match(await post(server.port, '/validation', '{not json', trusted), { status: 400, body: /the body is not JSON/ })
  t.match(await post(server.port, '/validation', '{"kind":"AdmissionReview"}', trusted), { status: 400, body: /apiVersion must be one of/ })
  t.match(await post(server.port, '/validation', Buffer.alloc(5 * 1024 * 1024, 32), trusted), { status: 413 })
})

/** Why `answer` is not a valid AdmissionReview response to the review with `uid`, or undefined. */
function answerProblem(answer: Answer, uid: string): string | undefined {
  if (answer.status !== 200) return `HTTP ${answer.status}: ${answer.body}`
  const review = JSON.parse(answer.body)
  const response = review.response
  if (review.apiVersion !== 'admission.k8s.io/v1' || review.kind !== 'AdmissionReview') return 'not an admission.k8s.io/v1 AdmissionReview'
  if (response?.uid !== uid) return `uid ${response?.uid} instead of ${uid}`
  if (typeof response.allowed !== 'boolean') return 'allowed is not a boolean'
  if (!response.allowed && !(typeof response.status?.message === 'string' && response.status.message && Number.isInteger(response.status.code))) {
    return 'a denial without a code and message'
  }
  if (response.patch !== undefined) {
    if (response.patchType !== 'JSONPatch') return 'a patch without patchType JSONPatch'
    const patch = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'))
    if (!Array.isArray(patch) || !patch.every((op) => ['add', 'replace', 'remove'].includes(op.op) && typeof op.path === 'string'))
      return 'a malformed JSON patch'
  }
  return undefined
}

interface FuzzRun {
  problems: string[]
  allowed: number
  patched: number
  elapsedMs: number
  /** Sorted ascending. */
  latenciesMs: number[]
}

/** Posts `count` fuzzed reviews with `concurrency` in flight over one keep-alive agent. */
async function fuzz(count: number, concurrency: number, seed: number): Promise<FuzzRun> {
  const random = seededRandom(seed)
  const agent = new Agent({ ca: bundle['ca.crt'], keepAlive: true, maxSockets: concurrency })
  const run: FuzzRun = { problems: [], allowed: 0, patched: 0, elapsedMs: 0, latenciesMs: [] }
  let next = 0
  const worker = async () => {
    while (next < count) {
      const index = next++
      const { path, kind, object } = fuzzCase(random)
      const uid = `fuzz-${seed}-${index}`
      const operation = index % 3 === 0 ? 'UPDATE' : 'CREATE'
      const body = JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: { uid, kind, operation, name: 'fuzz', namespace: 'default', object, oldObject: object },
      })
      const started = process.hrtime.bigint()
      const answer = await post(server.port, path, body, agent)
      run.latenciesMs.push(Number(process.hrtime.bigint() - started) / 1e6)
      const problem = answerProblem(answer, uid)
      if (problem) run.problems.push(`${path} ${body.slice(0, 300)} → ${problem}`)
      else {
        const response = JSON.parse(answer.body).response
        if (response.allowed) run.allowed++
        if (response.patch) run.patched++
      }
    }
  }
  const started = Date.now()
  await Promise.all(Array.from({ length: concurrency }, worker))
  run.elapsedMs = Date.now() - started
  agent.destroy()
  run.latenciesMs.sort((a, b) => a - b)
  return run
}

function latencySummary({ latenciesMs }: FuzzRun): string {
  const percentile = (p: number) => latenciesMs[Math.min(latenciesMs.length - 1, Math.floor((p / 100) * latenciesMs.length))].toFixed(2)
  return `latency p50 ${percentile(50)} ms, p99 ${percentile(99)} ms, max ${percentile(100)} ms`
}

t.test(`fuzz: ${FUZZ_REVIEWS} random and mutated objects each get a valid AdmissionReview`, async (t) => {
  const loaded = await fuzz(FUZZ_REVIEWS, CONCURRENCY, 20261125)
  t.comment(
    `fuzz: ${FUZZ_REVIEWS} reviews in ${loaded.elapsedMs} ms over HTTPS (${CONCURRENCY} in flight): allowed ${loaded.allowed}, ` +
      `patched ${loaded.patched}, denied ${FUZZ_REVIEWS - loaded.allowed - loaded.problems.length}; ${latencySummary(loaded)}`,
  )
  t.same(loaded.problems.slice(0, 5), [], 'every answer is a valid AdmissionReview')
  t.equal(loaded.latenciesMs.length, FUZZ_REVIEWS)
  t.ok(loaded.allowed > 0 && loaded.allowed < FUZZ_REVIEWS, 'the fuzz reaches both allowed and denied answers')
  const single = await fuzz(SEQUENTIAL_REVIEWS, 1, 7)
  t.comment(`fuzz: ${SEQUENTIAL_REVIEWS} more reviews one at a time: ${latencySummary(single)}`)
  t.same(single.problems.slice(0, 5), [], 'every answer is a valid AdmissionReview')
  t.match(await post(server.port, '/healthz', '', { ca: bundle['ca.crt'] }, 'GET'), { status: 200 }, 'still healthy afterwards')
})
