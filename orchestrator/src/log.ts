/**
 * The one log format of the controller and the webhook: a JSON object per line with time, level,
 * component and msg, plus fields such as `function` (the Function's namespace/name). Callers pass
 * names and messages, never whole objects, so Secret data cannot reach a line; credentials a URL
 * carries (https://user:token@host) are masked on the way out all the same.
 */
export type Fields = Record<string, unknown>

export interface Log {
  info(msg: string, fields?: Fields): void
  warn(msg: string, fields?: Fields): void
  error(msg: string, fields?: Fields): void
  /** A log that adds `fields` to every line, e.g. `{ function: 'demo/hello' }`. */
  with(fields: Fields): Log
}

const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi

export function maskCredentials(text: string): string {
  return text.replace(URL_CREDENTIALS, '$1***@')
}

function masked(fields: Fields): Fields {
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, typeof value === 'string' ? maskCredentials(value) : value]))
}

export function jsonLog(component: string, write: (line: string) => void = (line) => process.stdout.write(line), base: Fields = {}): Log {
  const emit =
    (level: string) =>
    (msg: string, fields: Fields = {}) =>
      write(`${JSON.stringify({ time: new Date().toISOString(), level, component, msg: maskCredentials(msg), ...masked({ ...base, ...fields }) })}\n`)
  return { info: emit('info'), warn: emit('warn'), error: emit('error'), with: (fields) => jsonLog(component, write, { ...base, ...fields }) }
}
