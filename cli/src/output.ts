/** What the CLI prints: colours and symbols only on a terminal; piped output stays plain lines and tables. */
const tty = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR

const paint = (code: number) => (text: string) => (tty ? `\u001b[${code}m${text}\u001b[0m` : text)
export const green = paint(32)
export const red = paint(31)
export const yellow = paint(33)
export const dim = paint(2)

/** Columns padded to their widest cell, as kubectl prints them. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)))
  return [header, ...rows].map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join('   ')).join('\n')
}

/** "45s", "3m12s", "2h5m", "4d": the age of a timestamp, as kubectl shows it. */
export function age(timestamp: string | undefined, now = Date.now()): string {
  if (!timestamp) return '<unknown>'
  const seconds = Math.max(0, Math.floor((now - Date.parse(timestamp)) / 1000))
  if (seconds < 120) return `${seconds}s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60 ? `${seconds % 60}s` : ''}`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60) ? `${Math.floor((seconds % 3600) / 60)}m` : ''}`
  return `${Math.floor(seconds / 86_400)}d`
}

/** A condition's status as a symbol on a terminal, and as its word, padded to the longest, when piped. */
export function statusMark(status: string | undefined): string {
  if (!tty) return (status ?? 'Unknown').padEnd('Unknown'.length)
  if (status === 'True') return green('✔')
  if (status === 'False') return red('✘')
  return yellow('…')
}
