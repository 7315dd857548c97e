/** Errors and argument parsers shared by the commands. Exit codes: 0 done, 1 failed, 2 a usage error. */
import { InvalidArgumentError } from 'commander'

/** The command line is wrong (exit 2), as opposed to the work failing (exit 1). */
export class UsageError extends Error {}

export function parsePort(value: string): number {
  const port = Number(value)
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError('expected a TCP port (1-65535)')
  return port
}

export function parseSeconds(value: string): number {
  const seconds = Number(value)
  if (!Number.isFinite(seconds) || seconds <= 0) throw new InvalidArgumentError('expected a number of seconds above 0')
  return seconds
}

export function collectPair(separator: string) {
  return (value: string, previous: Record<string, string>): Record<string, string> => {
    const at = value.indexOf(separator)
    if (at <= 0) throw new InvalidArgumentError(`expected NAME${separator}VALUE, got "${value}"`)
    return { ...previous, [value.slice(0, at).trim()]: value.slice(at + 1).trimStart() }
  }
}
