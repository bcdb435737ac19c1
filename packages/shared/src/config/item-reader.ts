import { Secret } from '../secret.js'
import type { ConfigProblem } from './types.js'
import type { UnitResult } from './units.js'

/**
 * Why a problem was found. A disabled item reports only `shape` problems (a list or mapping where
 * a single value belongs, and the like), so a half-configured integration can sit in the file
 * switched off without its missing keys, missing variables or odd values stopping the service.
 */
export type ProblemKind = 'shape' | 'value' | 'required' | 'env'

interface Entry {
  readonly written: string
  readonly value: unknown
}

// A single value as text, with the environment variable it came from (so messages never echo it).
interface Scalar {
  readonly text: string
  readonly fromEnv: string | undefined
}

const ENV_REF = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$/
// Postee read cfg.yaml as YAML 1.1, where yes/no and on/off are booleans too; files relying on
// that must keep working under our YAML 1.2 parser, which reads them as text.
const TRUE_WORDS = new Set(['true', 'yes', 'on'])
const FALSE_WORDS = new Set(['false', 'no', 'off'])
const WHOLE_NUMBER = /^[+-]?\d+$/
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)$/

/** Whether a YAML value is a mapping (a plain object), as opposed to a list or a single value. */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function shapeName(value: unknown): string {
  return Array.isArray(value) ? 'a list' : 'a mapping'
}

/**
 * Reads the keys of one cfg.yaml item case-insensitively, substitutes `$VAR`/`${VAR}` from the
 * environment, converts values, and records every problem instead of throwing, so the loader can
 * list all of them at once. Each read reports at most one problem for its key.
 */
export class ItemReader {
  /** The item as problems name it: its name, or `item N`. */
  label: string
  /** True for a disabled item: only shape problems are reported. */
  lenient = false
  readonly #entries = new Map<string, Entry>()
  readonly #duplicates: [string, string][] = []
  readonly #env: NodeJS.ProcessEnv
  readonly #problems: ConfigProblem[]
  #secretKeys: ReadonlySet<string>

  constructor(
    raw: Record<string, unknown>,
    label: string,
    env: NodeJS.ProcessEnv,
    problems: ConfigProblem[],
    secretKeys: readonly string[],
  ) {
    this.label = label
    this.#env = env
    this.#problems = problems
    this.#secretKeys = new Set(secretKeys)
    for (const [written, value] of Object.entries(raw)) {
      const lower = written.toLowerCase()
      const earlier = this.#entries.get(lower)
      if (earlier) {
        this.#duplicates.push([earlier.written, written])
        continue
      }
      this.#entries.set(lower, { written, value })
    }
  }

  /** Reports keys given twice in different case; called once the item's label is known. */
  reportDuplicateKeys(): void {
    for (const [first, again] of this.#duplicates) {
      const message = `given twice (as ${first} and ${again}); keys are case-insensitive, keep one`
      this.#problems.push({ item: this.label, key: again, message })
    }
  }

  /** Narrows which keys count as secrets once the item's type is known (until then, all of them do). */
  setSecretKeys(keys: readonly string[]): void {
    this.#secretKeys = new Set(keys)
  }

  /** Every key of the item as written. */
  writtenKeys(): string[] {
    return [...this.#entries.values()].map((entry) => entry.written)
  }

  /** The key as the file spells it, or the canonical spelling when it is absent. */
  written(key: string): string {
    return this.#entries.get(key.toLowerCase())?.written ?? key
  }

  /** Whether the key is present with a value (null and empty text count as absent). */
  has(key: string): boolean {
    const value = this.#raw(key)
    return value !== undefined && value !== null && value !== ''
  }

  /** Records a problem with one key of this item, unless the item is disabled and it is not a shape problem. */
  report(key: string, message: string, kind: ProblemKind = 'value'): void {
    if (this.lenient && kind !== 'shape') return
    this.#problems.push({ item: this.label, key: key === '' ? '' : this.written(key), message })
  }

  /** A text value; empty text counts as absent. */
  text(key: string): string | undefined {
    const scalar = this.#scalar(key)
    return scalar && scalar.text !== '' ? scalar.text : undefined
  }

  /** A text value that must be present; reports it missing and gives '' when it is not. */
  requiredText(key: string, howToFix: string): string {
    const value = this.text(key)
    if (value === undefined) this.#reportMissing(key, howToFix)
    return value ?? ''
  }

  /** A secret value (password, token, webhook URL); empty counts as absent. */
  secret(key: string): Secret | undefined {
    const value = this.text(key)
    return value === undefined ? undefined : new Secret(value)
  }

  /** A secret that must be present; a placeholder empty Secret when it is not. */
  requiredSecret(key: string, howToFix: string): Secret {
    return new Secret(this.requiredText(key, howToFix))
  }

  /** A boolean: YAML true/false, or the text true/false (also yes/no, on/off) in any case. */
  bool(key: string, fallback: boolean): boolean {
    const raw = this.#raw(key)
    if (typeof raw === 'boolean') return raw
    const scalar = this.#scalar(key)
    if (scalar === undefined || scalar.text === '') return fallback
    const lower = scalar.text.trim().toLowerCase()
    if (TRUE_WORDS.has(lower)) return true
    if (FALSE_WORDS.has(lower)) return false
    this.report(key, `${this.#describe(key, scalar)} is not a boolean; write true or false`)
    return fallback
  }

  /** A whole number (a YAML number or numeric text) within [min, max]. */
  int(key: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    return this.#number(
      key,
      fallback,
      (n) => Number.isSafeInteger(n) && n >= min && n <= max,
      WHOLE_NUMBER,
      rangeText('a whole number', min, max),
    )
  }

  /** A number greater than zero (fractions allowed). */
  positiveNumber(key: string, fallback: number): number {
    return this.#number(key, fallback, (n) => Number.isFinite(n) && n > 0, DECIMAL, 'a number greater than 0')
  }

  /** One of `allowed`, matched case-insensitively and returned in its canonical spelling. */
  choice<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const scalar = this.#scalar(key)
    if (scalar === undefined || scalar.text === '') return undefined
    const lower = scalar.text.trim().toLowerCase()
    const found = allowed.find((value) => value.toLowerCase() === lower)
    if (found === undefined) this.report(key, `${this.#describe(key, scalar)} is not allowed; write one of: ${allowed.join(', ')}`)
    return found
  }

  /** A value parsed by one of the unit parsers; a YAML number is passed on as a number. */
  unit<T>(key: string, parse: (value: string | number) => UnitResult<T>, fallback: T): T {
    const raw = this.#raw(key)
    const scalar = this.#scalar(key)
    if (scalar === undefined || scalar.text === '') return fallback
    const result = parse(typeof raw === 'number' ? raw : scalar.text)
    if (result.ok) return result.value
    this.report(key, `${this.#describe(key, scalar)} ${result.error}`)
    return fallback
  }

  /** An http(s) URL that must be present; '' when missing or invalid (each reported once). */
  requiredUrl(key: string, howToFix: string): string {
    const scalar = this.#scalar(key)
    if (scalar === undefined || scalar.text === '') {
      this.#reportMissing(key, howToFix)
      return ''
    }
    return this.#checkUrl(key, scalar)
  }

  /** An optional http(s) URL; undefined when absent or invalid (invalid is reported). */
  url(key: string): string | undefined {
    const scalar = this.#scalar(key)
    if (scalar === undefined || scalar.text === '') return undefined
    return this.#checkUrl(key, scalar) || undefined
  }

  /**
   * A list: a YAML list of single values, or a comma-separated text; items trimmed, empties
   * dropped. Each item may be a `$VAR`, and so may the whole text (then its value is split).
   */
  list(key: string): readonly string[] {
    const raw = this.#raw(key)
    if (raw === undefined || raw === null) return []
    if (typeof raw === 'string' && !ENV_REF.test(raw.trim())) return this.#items(key, splitList(raw))
    // Items of a real list are not split again: a token or pattern may contain a comma.
    if (Array.isArray(raw)) return this.#items(key, raw)
    const scalar = this.#scalar(key)
    return scalar ? splitList(scalar.text) : []
  }

  /** A mapping (for `unknowns`); a list or single value there is a shape problem. */
  mapping(key: string): Record<string, unknown> | undefined {
    const raw = this.#raw(key)
    if (raw === undefined || raw === null) return undefined
    if (isMapping(raw)) return raw
    this.report(
      key,
      `must be a mapping of names to values (one \`name: value\` per line), not ${Array.isArray(raw) ? 'a list' : 'a single value'}`,
      'shape',
    )
    return undefined
  }

  /** Converts a value found inside a mapping key (e.g. one `unknowns` entry) to text with env substitution. */
  nestedText(key: string, value: unknown): string | undefined {
    if (value === null || value === undefined) return undefined
    return this.#toScalar(key, value, 'must')?.text
  }

  #items(key: string, elements: readonly unknown[]): string[] {
    const items: string[] = []
    for (const element of elements) {
      if (element === null || element === undefined) continue
      const text = this.#toScalar(key, element, 'each list item must')?.text.trim()
      if (text) items.push(text)
    }
    return items
  }

  #raw(key: string): unknown {
    return this.#entries.get(key.toLowerCase())?.value
  }

  #scalar(key: string): Scalar | undefined {
    const raw = this.#raw(key)
    if (raw === undefined || raw === null) return undefined
    return this.#toScalar(key, raw, 'must')
  }

  #toScalar(key: string, value: unknown, what: string): Scalar | undefined {
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
      return { text: String(value), fromEnv: undefined }
    }
    if (typeof value !== 'string') {
      this.report(key, `${what} be a single value, not ${shapeName(value)}`, 'shape')
      return undefined
    }
    const ref = ENV_REF.exec(value)
    if (!ref) return { text: value, fromEnv: undefined }
    const name = ref[1] ?? ref[2] ?? ''
    const resolved = this.#env[name]
    if (resolved === undefined) {
      this.report(key, `environment variable ${name} is not set; pass it to the container, or write the value in cfg.yaml`, 'env')
      return undefined
    }
    return { text: resolved, fromEnv: name }
  }

  #number(key: string, fallback: number, valid: (n: number) => boolean, pattern: RegExp, expected: string): number {
    const raw = this.#raw(key)
    const scalar = this.#scalar(key)
    if (scalar === undefined || scalar.text === '') return fallback
    const text = scalar.text.trim()
    const value = typeof raw === 'number' ? raw : pattern.test(text) ? Number(text) : Number.NaN
    if (valid(value)) return value
    this.report(key, `${this.#describe(key, scalar)} is not ${expected}`)
    return fallback
  }

  #checkUrl(key: string, scalar: Scalar): string {
    if (isHttpUrl(scalar.text)) return scalar.text
    this.report(key, `${this.#describe(key, scalar)} is not an http(s) URL; write the full URL, starting with https:// or http://`)
    return ''
  }

  #reportMissing(key: string, howToFix: string): void {
    const value = this.#raw(key)
    const ref = typeof value === 'string' ? ENV_REF.exec(value) : null
    const name = ref ? (ref[1] ?? ref[2] ?? '') : ''
    if (ref && this.#env[name] !== undefined) {
      this.report(key, `environment variable ${name} is empty; ${howToFix}`, 'required')
    } else if (value === undefined || value === null || value === '') {
      this.report(key, `missing; ${howToFix}`, 'required')
    }
    // Anything else (an unset variable, a list where a value belongs) was already reported.
  }

  // Quotes a bad value so the reader can spot it, except values that are, or may be, secrets.
  #describe(key: string, scalar: Scalar): string {
    if (scalar.fromEnv !== undefined) return `the value of $${scalar.fromEnv}`
    if (this.#secretKeys.has(key.toLowerCase())) return 'the value'
    return JSON.stringify(scalar.text)
  }
}

/** Whether text is an absolute http: or https: URL with a host. */
export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== ''
  } catch {
    return false
  }
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

function rangeText(what: string, min: number, max: number): string {
  return max === Number.MAX_SAFE_INTEGER ? `${what} ≥ ${min}` : `${what} from ${min} to ${max}`
}
