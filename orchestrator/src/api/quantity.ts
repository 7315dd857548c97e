/**
 * Kubernetes resource quantities ("100m", "1.5Gi", "2", "1e3") parsed into exact integers of nano-units, so
 * requests, limits and minimums compare without floating-point surprises. The API server rounds below a
 * nano-unit too, so nothing that can be stored is lost.
 */

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/

const DECIMAL_EXPONENT: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 }
const BINARY_EXPONENT: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 }
const NANO_DIGITS = 9

/** The quantity in nano-units (rounded up, as the API server does), or undefined when it is not a quantity. */
export function parseQuantity(value: string | number): bigint | undefined {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value.trim()
  const match = QUANTITY.exec(text)
  if (!match) return undefined
  const [, sign, number, suffix = '', exponent] = match
  // An absurd exponent would make a gigantic BigInt; no real quantity is anywhere near it.
  if (exponent !== undefined && Math.abs(Number(exponent)) > 100) return undefined
  const [whole, fraction = ''] = number.split('.')
  let digits = BigInt(`${whole || '0'}${fraction}`)
  const decimalShift = NANO_DIGITS - fraction.length + (exponent !== undefined ? Number(exponent) : (DECIMAL_EXPONENT[suffix] ?? 0))
  if (suffix in BINARY_EXPONENT) digits *= 1n << BigInt(BINARY_EXPONENT[suffix])
  if (decimalShift >= 0) {
    digits *= 10n ** BigInt(decimalShift)
  } else {
    const divisor = 10n ** BigInt(-decimalShift)
    digits = (digits + divisor - 1n) / divisor
  }
  return sign === '-' ? -digits : digits
}

/** True when the value is present: undefined, null and "" count as not given. */
export function isQuantityGiven(value: string | number | undefined | null): value is string | number {
  return value !== undefined && value !== null && value !== ''
}
