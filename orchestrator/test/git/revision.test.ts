import t from 'tap'
import { commitForReference, resolveCommit } from '../../src/git/revision.js'
import { startGitServer } from './git-server.js'
import { generateKeyPair, startSshFront } from './ssh-server.js'

t.test('ls-remote output: branch first, then the peeled tag', async (t) => {
  const output = [
    '1111111111111111111111111111111111111111\trefs/heads/main',
    '2222222222222222222222222222222222222222\trefs/tags/v1',
    '3333333333333333333333333333333333333333\trefs/tags/v1^{}',
  ].join('\n')
  t.equal(commitForReference(output, 'main'), '1'.repeat(40))
  t.equal(commitForReference(output, 'v1'), '3'.repeat(40))
  t.equal(commitForReference(output, 'nope'), undefined)
})

t.test('against a real git HTTP server with basic auth', async (t) => {
  const credentials = { username: 'alice', password: 's3cret' }
  const server = await startGitServer(credentials)
  t.teardown(() => server.close())
  const first = server.commit('fn', 'main', { 'handler.js': 'module.exports = { main: () => 1 }' })
  const branchA = server.commit('fn', 'branchA', { 'handler.js': 'module.exports = { main: () => 2 }' })
  server.tag('fn', 'v1', first)
  const url = server.url('fn')
  const basic = { type: 'basic' as const, ...credentials }

  t.equal(await resolveCommit(url, 'main', basic), first)
  t.equal(await resolveCommit(url, 'branchA', basic), branchA)
  t.equal(await resolveCommit(url, 'v1', basic), first, 'an annotated tag resolves to its commit')
  t.equal(await resolveCommit(url, first.toUpperCase()), first, 'a full commit is used as is, without asking the server')
  const next = server.commit('fn', 'main', { 'handler.js': 'module.exports = { main: () => 3 }' })
  t.equal(await resolveCommit(url, 'main', basic), next, 'a new commit on the branch is seen')

  await t.rejects(resolveCommit(url, 'missing', basic), /no branch or tag named "missing"/)
  await t.rejects(resolveCommit(url, 'main', { ...basic, password: 'wrong' }), /git ls-remote .* failed/)
  await t.rejects(resolveCommit(url, 'main'), /failed/, 'no credentials, no access')
})

t.test('against a real sshd with a generated key and an explicit known_hosts', async (t) => {
  const server = await startGitServer()
  t.teardown(() => server.close())
  const client = generateKeyPair('kless-test-client')
  const ssh = await startSshFront(server.reposDir, client.publicKey)
  t.teardown(() => ssh.close())
  const first = server.commit('fn', 'main', { 'handler.js': 'module.exports = { main: () => 1 }' })
  const key = { type: 'key' as const, key: client.privateKey, knownHosts: ssh.knownHosts }

  t.equal(await resolveCommit(ssh.url('fn'), 'main', key), first)
  const stranger = `${ssh.knownHosts.split(' ')[0]} ${generateKeyPair('another-host').knownHostsKey}`
  await t.rejects(
    resolveCommit(ssh.url('fn'), 'main', { ...key, knownHosts: stranger }),
    /Host key verification failed/,
    'a host key not in known_hosts is refused',
  )
  await t.rejects(resolveCommit(ssh.url('fn'), 'main', { ...key, key: generateKeyPair('not-authorized').privateKey }), /Permission denied/)
})
