import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Credentials from the GitRepository's auth Secret. */
export type GitCredentials =
  | { type: 'basic'; username: string; password: string }
  /** knownHosts: the server's host keys, as known_hosts lines; without them the first key seen is trusted. */
  | { type: 'key'; key: string; knownHosts?: string }

const FULL_COMMIT = /^[0-9a-f]{40}$/i
const TIMEOUT_MS = 30_000

/** The commit a ref points at in `git ls-remote` output: a branch, else a tag (peeled when annotated). */
export function commitForReference(lsRemote: string, reference: string): string | undefined {
  const refs = new Map<string, string>()
  for (const line of lsRemote.split('\n')) {
    const [commit, ref] = line.trim().split(/\s+/)
    if (commit && ref) refs.set(ref, commit)
  }
  return refs.get(`refs/heads/${reference}`) ?? refs.get(`refs/tags/${reference}^{}`) ?? refs.get(`refs/tags/${reference}`)
}

/**
 * Resolves a branch, tag or commit of a remote repository to a commit without cloning it.
 * A full commit hash is taken as is. Credentials go through the environment and a private temp file,
 * never through the command line, where other processes could read them.
 */
export async function resolveCommit(url: string, reference: string, credentials?: GitCredentials): Promise<string> {
  if (FULL_COMMIT.test(reference)) return reference.toLowerCase()
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0' }
  let keyDir: string | undefined
  try {
    if (credentials?.type === 'basic') {
      const token = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')
      Object.assign(env, { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: Basic ${token}` })
    } else if (credentials?.type === 'key') {
      keyDir = await mkdtemp(join(tmpdir(), 'kless-git-'))
      const keyFile = join(keyDir, 'key')
      await writeFile(keyFile, credentials.key.endsWith('\n') ? credentials.key : `${credentials.key}\n`, { mode: 0o600 })
      let hostCheck = '-o StrictHostKeyChecking=accept-new'
      if (credentials.knownHosts) {
        const knownHostsFile = join(keyDir, 'known_hosts')
        await writeFile(knownHostsFile, `${credentials.knownHosts.trim()}\n`, { mode: 0o600 })
        hostCheck = `-o StrictHostKeyChecking=yes -o UserKnownHostsFile=${knownHostsFile}`
      }
      env.GIT_SSH_COMMAND = `ssh -i ${keyFile} -o IdentitiesOnly=yes -o BatchMode=yes ${hostCheck}`
    }
    const output = await new Promise<string>((resolve, reject) => {
      execFile('git', ['ls-remote', '--heads', '--tags', url], { env, timeout: TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`git ls-remote ${url} failed: ${stderr.trim() || err.message}`))
        else resolve(stdout)
      })
    })
    const commit = commitForReference(output, reference)
    if (!commit) throw new Error(`no branch or tag named "${reference}" in ${url}`)
    return commit
  } finally {
    if (keyDir) await rm(keyDir, { recursive: true, force: true })
  }
}
