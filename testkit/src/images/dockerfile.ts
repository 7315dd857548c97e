/** What a Dockerfile builds from: its base images and the context paths its COPY and ADD read. Pure. */
export interface DockerfileInputs {
  /** Images named in FROM, with build arguments substituted; stage names and `scratch` are left out. */
  bases: string[]
  /** Context-relative sources of COPY/ADD without --from, with build arguments substituted (may hold `*`). */
  sources: string[]
}

/** Joins continuation lines and drops comments, as the Dockerfile parser does. */
function instructions(text: string): string[] {
  const lines: string[] = []
  let pending = ''
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw)) continue
    const line = raw.replace(/\s+$/, '')
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `
      continue
    }
    const whole = (pending + line).trim()
    pending = ''
    if (whole) lines.push(whole)
  }
  return lines
}

export function dockerfileInputs(text: string, buildArgs: Record<string, string> = {}): DockerfileInputs {
  const args: Record<string, string> = {}
  const substitute = (value: string) => value.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, name: string) => args[name] ?? '')
  const stages = new Set<string>()
  const bases: string[] = []
  const sources: string[] = []
  for (const line of instructions(text)) {
    const [keyword, ...rest] = line.split(/\s+/)
    const word = keyword.toUpperCase()
    if (word === 'ARG') {
      const [name, ...value] = rest.join(' ').split('=')
      args[name] = buildArgs[name] ?? (value.length ? value.join('=').replace(/^"(.*)"$/, '$1') : '')
    } else if (word === 'FROM') {
      const words = rest.filter((part) => !part.startsWith('--'))
      const image = substitute(words[0])
      if (words[1]?.toUpperCase() === 'AS' && words[2]) stages.add(words[2])
      if (image !== 'scratch' && !stages.has(image) && !bases.includes(image)) bases.push(image)
    } else if (word === 'COPY' || word === 'ADD') {
      if (rest.some((part) => part.startsWith('--from='))) continue
      const paths = rest.filter((part) => !part.startsWith('--'))
      for (const source of paths.slice(0, -1)) sources.push(substitute(source).replace(/^\/+/, ''))
    }
  }
  return { bases, sources }
}
