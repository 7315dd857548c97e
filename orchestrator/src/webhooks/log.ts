/** One JSON object per line on stdout; fields never carry request objects, so Secret data cannot leak. */
export interface Log {
  info(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

export function jsonLog(component: string, write: (line: string) => void = (line) => process.stdout.write(line)): Log {
  const emit = (level: string) => (message: string, fields: Record<string, unknown> = {}) =>
    write(`${JSON.stringify({ time: new Date().toISOString(), level, component, message, ...fields })}\n`)
  return { info: emit('info'), error: emit('error') }
}
