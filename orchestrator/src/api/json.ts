/** True for a JSON object (a map), false for null, arrays and scalars. */
export function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
