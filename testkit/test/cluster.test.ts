import { readdirSync, readFileSync } from 'fs'
import { createServer } from 'https'
import { AddressInfo } from 'net'
import { join } from 'path'
import t from 'tap'
import { CertificateAuthority, startCluster } from '../src/cluster'
import { waitFor } from '../src/process'

const SEED_EXAMPLES = join(__dirname, '..', 'fixtures', 'seed-examples')

t.test('a private cluster on loopback', async (t) => {
  const startedAt = Date.now()
  const cluster = await startCluster()
  t.teardown(() => cluster.stop())
  t.comment(`cluster started in ${((Date.now() - startedAt) / 1000).toFixed(1)} s at ${cluster.server}`)
  const kubectl = (...args: string[]) => cluster.kubectl(args)
  const kubectlJson = async <T>(...args: string[]): Promise<T> => JSON.parse(await kubectl(...args, '-o', 'json')) as T

  t.test('serves the pinned release and has a Ready node', async (t) => {
    t.equal((await cluster.api('GET', '/readyz')).status, 200)
    const version = await kubectlJson<{ serverVersion: { gitVersion: string } }>('version')
    t.equal(version.serverVersion.gitVersion, cluster.kubernetesVersion)
    t.match(await kubectl('get', 'nodes', '--no-headers'), /kwok-node-0\s+Ready/)
  })

  t.test('every seed example applies unchanged', async (t) => {
    const files = readdirSync(SEED_EXAMPLES).filter((file) => file.endsWith('.yaml'))
    t.ok(files.length >= 7, `found ${files.length} examples`)
    for (const file of files) {
      // The Secret's {VALUE} placeholders stand for base64 values (see the examples' README).
      const manifest = readFileSync(join(SEED_EXAMPLES, file), 'utf8').replace(/\{VALUE\}/g, Buffer.from('value').toString('base64'))
      const wanted = JSON.parse(await cluster.kubectl(['create', '--dry-run=client', '-o', 'json', '-f', '-'], manifest))
      if (wanted.type === 'kubernetes.io/dockerconfigjson') {
        // The registry-secret mutating webhook fills in .dockerconfigjson; without it the API server refuses the Secret.
        await t.rejects(cluster.kubectl(['apply', '-f', '-'], manifest), /data\[\.dockerconfigjson\]: Required value/, `${file} needs the webhook`)
        continue
      }
      await cluster.kubectl(['apply', '-f', '-'], manifest)
      const stored = await kubectlJson<typeof wanted>('get', wanted.kind, wanted.metadata.name)
      t.same(stored.spec ?? stored.data, wanted.spec ?? wanted.data, `${file}: the API server keeps it as written`)
      if (wanted.kind === 'Function') t.notOk(stored.status?.conditions, `${file}: status comes only through the status subresource`)
      await cluster.kubectl(['delete', '-f', '-'], manifest)
    }
  })

  t.test('kubectl get shows the printer columns', async (t) => {
    await cluster.kubectl(['apply', '-f', join(SEED_EXAMPLES, 'function-hello-john.yaml')])
    await cluster.kubectl(['apply', '-f', join(SEED_EXAMPLES, 'gitrepository-key-auth.yaml')])
    t.teardown(() => kubectl('delete', 'function/my-test-function', 'gitrepository/sample-with-auth'))
    const conditions = ['ConfigurationReady', 'BuildReady', 'Running'].map((type) => ({
      type,
      status: 'True',
      lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    }))
    await kubectl('patch', 'function/my-test-function', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { conditions } }))
    const [header, row] = (await kubectl('get', 'functions')).trim().split('\n')
    t.match(header, /^NAME\s+CONFIGURED\s+BUILT\s+RUNNING\s+RUNTIME\s+VERSION\s+AGE$/)
    t.match(row, /^my-test-function\s+True\s+True\s+True\s+nodejs12\s+1\s+\S+$/)
    const [repoHeader, repoRow] = (await kubectl('get', 'gitrepositories')).trim().split('\n')
    t.match(repoHeader, /^NAME\s+URL\s+AUTH\s+AGE$/)
    t.match(repoRow, /^sample-with-auth\s+git@github\.com:sample-organization\/sample-repo\.git\s+key\s+/)
  })

  t.test('the schema rejects what the seed does not allow', async (t) => {
    const invalid: [string, object, RegExp][] = [
      ['minReplicas below 1', { source: 'x', minReplicas: 0 }, /spec\.minReplicas.*greater than or equal to 1/],
      ['maxReplicas below 1', { source: 'x', maxReplicas: 0 }, /spec\.maxReplicas.*greater than or equal to 1/],
      ['an unknown runtime', { source: 'x', runtime: 'ruby27' }, /spec\.runtime.*Unsupported value: "ruby27"/],
      ['an unknown type', { source: 'x', type: 'svn' }, /spec\.type.*Unsupported value: "svn"/],
      ['no source', { deps: '{}' }, /spec\.source: Required value/],
      ['a bad quantity', { source: 'x', resources: { limits: { cpu: 'lots' } } }, /spec\.resources\.limits\.cpu/],
      ['an env var without a name', { source: 'x', env: [{ value: 'v' }] }, /spec\.env\[0\]\.name: Required value/],
    ]
    for (const [what, spec, message] of invalid) {
      const fn = { apiVersion: 'serverless.kyma-project.io/v1alpha1', kind: 'Function', metadata: { name: 'invalid' }, spec }
      await t.rejects(cluster.kubectl(['create', '-f', '-'], JSON.stringify(fn)), message, what)
    }
    const repo = { apiVersion: 'serverless.kyma-project.io/v1alpha1', kind: 'GitRepository', metadata: { name: 'invalid' } }
    await t.rejects(
      cluster.kubectl(['create', '-f', '-'], JSON.stringify({ ...repo, spec: { url: 'x', auth: { type: 'token', secretName: 's' } } })),
      /spec\.auth\.type.*Unsupported value: "token"/,
    )
    await t.rejects(
      cluster.kubectl(['create', '-f', '-'], JSON.stringify({ ...repo, spec: { url: 'x', auth: { type: 'key' } } })),
      /spec\.auth\.secretName: Required value/,
    )
  })

  t.test('kwok makes Deployment pods Ready and Job pods complete', async (t) => {
    const namespace = await cluster.createNamespace('workloads')
    t.teardown(() => cluster.deleteNamespace(namespace))
    const n = ['-n', namespace]
    await kubectl(...n, 'create', 'deployment', 'web', '--image=example.test/web:1', '--replicas=2')
    await kubectl(...n, 'rollout', 'status', 'deployment/web', '--timeout=60s')
    const deployment = await kubectlJson<{ status: { readyReplicas: number } }>(...n, 'get', 'deployment/web')
    t.equal(deployment.status.readyReplicas, 2)
    const pods = await kubectlJson<{ items: { status: { podIP?: string } }[] }>(...n, 'get', 'pods', '-l', 'app=web')
    t.ok(
      pods.items.every((pod) => pod.status.podIP),
      'pods get IPs',
    )

    await kubectl(...n, 'create', 'job', 'build', '--image=example.test/kaniko:1')
    await kubectl(...n, 'wait', '--for=condition=Complete', '--timeout=60s', 'job/build')
    t.pass('the Job completed')
  })

  t.test('pod labels steer kwok into failures and slow builds', async (t) => {
    const namespace = await cluster.createNamespace('failures')
    t.teardown(() => cluster.deleteNamespace(namespace))
    const labels = { 'kless.test/pod-outcome': 'fail' }
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'broken-build', namespace },
      spec: {
        backoffLimit: 0,
        template: { metadata: { labels }, spec: { restartPolicy: 'Never', containers: [{ name: 'build', image: 'example.test/kaniko:1' }] } },
      },
    }
    await cluster.kubectl(['apply', '-f', '-'], JSON.stringify(job))
    await kubectl('-n', namespace, 'wait', '--for=condition=Failed', '--timeout=60s', 'job/broken-build')
    t.pass('the Job failed')

    await kubectl('-n', namespace, 'create', 'deployment', 'crashing', '--image=example.test/crash:1')
    await kubectl(
      '-n',
      namespace,
      'patch',
      'deployment/crashing',
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { template: { metadata: { labels: { 'kless.test/pod-outcome': 'crash' } } } } }),
    )
    await kubectl(
      '-n',
      namespace,
      'wait',
      '--for=jsonpath={.status.containerStatuses[0].state.waiting.reason}=CrashLoopBackOff',
      '--timeout=60s',
      'pod',
      '-l',
      'kless.test/pod-outcome=crash',
    )
    t.pass('the pod crash-loops')

    const slowJob = { ...job, metadata: { name: 'slow-build', namespace } }
    slowJob.spec = { ...job.spec, template: { ...job.spec.template, metadata: { labels: { 'kless.test/run-duration': '3s' } } } }
    const started = Date.now()
    await cluster.kubectl(['apply', '-f', '-'], JSON.stringify(slowJob))
    await kubectl('-n', namespace, 'wait', '--for=jsonpath={.status.phase}=Running', '--timeout=30s', 'pod', '-l', 'job-name=slow-build')
    await kubectl('-n', namespace, 'wait', '--for=condition=Complete', '--timeout=60s', 'job/slow-build')
    t.ok(Date.now() - started >= 3000, `the Job ran for its run-duration (${Date.now() - started} ms)`)
  })

  t.test('the API server calls admission webhooks served over HTTPS on 127.0.0.1', async (t) => {
    const ca = CertificateAuthority.create('webhook-ca')
    const serving = ca.issue({ commonName: 'test-webhook', hosts: ['127.0.0.1'] })
    const server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => (body += chunk.toString()))
      req.on('end', () => {
        const review = JSON.parse(body) as { request: { uid: string; object: { metadata: { labels?: Record<string, string> } } } }
        const allowed = review.request.object.metadata.labels?.verdict !== 'reject'
        const response = { uid: review.request.uid, allowed, status: allowed ? undefined : { message: 'rejected by the test webhook' } }
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }))
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    t.teardown(() => new Promise((resolve) => server.close(resolve)))
    const namespace = await cluster.createNamespace('webhook')
    const webhookConfiguration = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: namespace },
      webhooks: [
        {
          name: 'verdict.kless.test',
          clientConfig: {
            url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/validate`,
            caBundle: Buffer.from(ca.certPem).toString('base64'),
          },
          rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }],
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
          admissionReviewVersions: ['v1'],
          sideEffects: 'None',
          failurePolicy: 'Fail',
        },
      ],
    }
    await cluster.kubectl(['apply', '-f', '-'], JSON.stringify(webhookConfiguration))
    t.teardown(async () => {
      await kubectl('delete', 'validatingwebhookconfiguration', namespace)
      await cluster.deleteNamespace(namespace)
    })
    const createConfigMap = (name: string, labels: Record<string, string>, ...flags: string[]) =>
      cluster.kubectl(['-n', namespace, 'create', ...flags, '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels } }))
    // The API server picks up new webhook configurations within a moment.
    await waitFor(
      () =>
        createConfigMap('probe', { verdict: 'reject' }, '--dry-run=server').then(
          () => false,
          (err: Error) => /rejected by the test webhook/.test(err.message),
        ),
      30_000,
      () => 'the webhook to be called',
    )
    await t.rejects(createConfigMap('bad', { verdict: 'reject' }), /admission webhook "verdict\.kless\.test" denied the request: rejected by the test webhook/)
    await createConfigMap('good', {})
    t.pass('an allowed object is created')
  })

  t.test('restarting the API server keeps the data', async (t) => {
    await kubectl('create', 'configmap', 'survivor', '--from-literal=kept=yes')
    await cluster.restartApiServer()
    t.equal((await kubectl('get', 'configmap', 'survivor', '-o', 'jsonpath={.data.kept}')).trim(), 'yes')
    await kubectl('delete', 'configmap', 'survivor')
  })
})
