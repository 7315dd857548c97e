import { execFile } from 'child_process'

export interface RunOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** Shown before the command's own error output when it fails. */
  what?: string
}

/** Runs a command to completion and returns its stdout; a failure carries the command's stderr. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: options.cwd, env: options.env ?? process.env, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout)
      const code = (err as NodeJS.ErrnoException).code
      const head = options.what ?? `${command} ${args.join(' ')}`
      reject(
        new Error(
          code === 'ENOENT'
            ? `${head}: ${command} is not installed`
            : `${head} failed:\n${String(stderr || stdout || err.message)
                .trim()
                .slice(-4000)}`,
        ),
      )
    })
  })
}
