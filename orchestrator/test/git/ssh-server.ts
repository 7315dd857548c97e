import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { freePort } from '@kless/testkit'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'

export interface SshGitFront {
  /** ssh://<user>@<host>:<port>/…/<name>.git */
  url(name: string): string
  /** The server's host key as a known_hosts line for [host]:port. */
  knownHosts: string
  close(): Promise<void>
}

/** A new ed25519 key pair; `comment` names it. */
export function generateKeyPair(comment: string): { privateKey: string; publicKey: string; knownHostsKey: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kless-ssh-key-'))
  try {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', join(dir, 'key')])
    const publicKey = readFileSync(join(dir, 'key.pub'), 'utf8').trim()
    return { privateKey: readFileSync(join(dir, 'key'), 'utf8'), publicKey, knownHostsKey: publicKey.split(' ').slice(0, 2).join(' ') }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * A real OpenSSH server in front of a git server's repositories: only `authorizedKey` logs in, and only to git-shell,
 * so the one thing it does is git over SSH. Its host key is generated here, so a client can be given it explicitly.
 */
export async function startSshFront(reposDir: string, authorizedKey: string, host = '127.0.0.1'): Promise<SshGitFront> {
  const dir = mkdtempSync(join(tmpdir(), 'kless-sshd-'))
  const hostKey = generateKeyPair('kless-test-host')
  writeFileSync(join(dir, 'host_key'), hostKey.privateKey, { mode: 0o600 })
  writeFileSync(join(dir, 'authorized_keys'), `restrict,command="git-shell -c \\"$SSH_ORIGINAL_COMMAND\\"" ${authorizedKey}\n`, { mode: 0o600 })
  const port = await freePort(host)
  const config = [
    `ListenAddress ${host}:${port}`,
    `HostKey ${join(dir, 'host_key')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'UsePAM no',
    // The test's temporary folders are not owned the way sshd insists on for a user's own ~/.ssh.
    'StrictModes no',
    'LogLevel ERROR',
  ]
  writeFileSync(join(dir, 'sshd_config'), `${config.join('\n')}\n`)
  mkdirSync('/run/sshd', { recursive: true }) // sshd's privilege-separation folder
  const sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  sshd.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()))
  const deadline = Date.now() + 10_000
  const answers = () =>
    new Promise<boolean>((resolve) => {
      const socket = connect(port, host, () => resolve(socket.destroy() !== undefined)).once('error', () => resolve(false))
    })
  while (!(await answers())) {
    if (sshd.exitCode !== null || Date.now() > deadline) throw new Error(`sshd did not start: ${log}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    url: (name) => `ssh://${userInfo().username}@${host}:${port}${reposDir}/${name}.git`,
    knownHosts: `[${host}]:${port} ${hostKey.knownHostsKey}`,
    async close() {
      sshd.kill('SIGTERM')
      await new Promise((resolve) => (sshd.exitCode !== null ? resolve(undefined) : sshd.once('exit', resolve)))
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
