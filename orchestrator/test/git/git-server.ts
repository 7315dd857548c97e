import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface GitServer {
  /** http://<host>:<port>/<name>.git */
  url(name: string): string
  /** Commits a file on a branch of the named repository (created on first use); returns the commit. */
  commit(name: string, branch: string, files: Record<string, string>): string
  tag(name: string, tag: string, commit: string): void
  /** The folder of the bare repositories, <name>.git each: what an SSH front serves (ssh-server.ts). */
  reposDir: string
  close(): Promise<void>
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' }).trim()

/**
 * A real git smart-HTTP server: git's own http-backend behind a small Node HTTP server that checks basic credentials
 * when `credentials` is given. It listens on loopback, or on `host` (a real node's address, for pods to reach).
 */
export async function startGitServer(credentials?: { username: string; password: string }, host = '127.0.0.1'): Promise<GitServer> {
  const root = mkdtempSync(join(tmpdir(), 'kless-git-'))
  const work = join(root, 'work')
  const expected = credentials && `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`
  const server: Server = createServer((req, res) => {
    if (expected && req.headers.authorization !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end()
      return
    }
    const url = new URL(req.url ?? '/', 'http://localhost')
    const cgi = spawn('git', ['http-backend'], {
      env: {
        GIT_PROJECT_ROOT: join(root, 'repos'),
        GIT_HTTP_EXPORT_ALL: '1',
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        PATH: process.env.PATH,
      },
    })
    req.pipe(cgi.stdin)
    let head = Buffer.alloc(0)
    let headersDone = false
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) return void res.write(chunk)
      head = Buffer.concat([head, chunk])
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) return
      headersDone = true
      let status = 200
      for (const line of head.subarray(0, end).toString().split('\r\n')) {
        const [name, ...rest] = line.split(':')
        const value = rest.join(':').trim()
        if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0])
        else res.setHeader(name, value)
      }
      res.writeHead(status)
      res.write(head.subarray(end + 4))
    })
    cgi.on('close', () => res.end())
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  const port = (server.address() as { port: number }).port
  const ensure = (name: string) => {
    const bare = join(root, 'repos', `${name}.git`)
    try {
      git(root, 'init', '--quiet', '--bare', bare)
    } catch {
      // exists
    }
    return bare
  }
  return {
    url: (name) => `http://${host}:${port}/${name}.git`,
    reposDir: join(root, 'repos'),
    commit(name, branch, files) {
      const bare = ensure(name)
      rmSync(work, { recursive: true, force: true })
      git(root, 'clone', '--quiet', bare, work)
      try {
        git(work, 'checkout', '--quiet', branch)
      } catch {
        git(work, 'checkout', '--quiet', '-b', branch)
      }
      for (const [file, content] of Object.entries(files)) {
        execFileSync('sh', ['-c', 'mkdir -p "$(dirname "$1")" && cat > "$1"', 'sh', file], { cwd: work, input: content })
      }
      git(work, 'add', '.')
      git(work, 'commit', '--quiet', '-m', `change ${Object.keys(files).join(', ')}`)
      git(work, 'push', '--quiet', 'origin', branch)
      return git(work, 'rev-parse', 'HEAD')
    },
    tag(name, tag, commit) {
      git(ensure(name), 'tag', '-a', '-m', tag, tag, commit)
    },
    async close() {
      await new Promise((resolve) => server.close(resolve))
      rmSync(root, { recursive: true, force: true })
    },
  }
}
