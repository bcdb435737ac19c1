import { inspect } from 'node:util'

const REDACTED = '<secret>'

/**
 * A value that must never be printed: passwords, tokens and webhook URLs (which carry their key).
 * `toString`, `toJSON` and `util.inspect` all give `<secret>`; only `reveal()` gives the value,
 * so every place that uses the real value is easy to find.
 */
export class Secret {
  readonly #value: string

  constructor(value: string) {
    this.#value = value
  }

  /** The real value, for the one call that needs it (an Authorization header, a URL to call). */
  reveal(): string {
    return this.#value
  }

  /** True when the secret is the empty string, which config treats as unset. */
  isEmpty(): boolean {
    return this.#value.length === 0
  }

  toString(): string {
    return REDACTED
  }

  toJSON(): string {
    return REDACTED
  }

  [inspect.custom](): string {
    return REDACTED
  }
}

/**
 * Removes every revealed secret value from a text (an error message, a response body) before it
 * is logged or stored, so a target that echoes our credentials back cannot leak them. Not only
 * the exact value: any case variant, its URL encoding (upper- or lower-case hex), its base64
 * (also inside base64 of `user:password` or `\0user\0password`, whatever the user), its hex, and
 * any run of 8 or more of its characters (for secrets of 8 or more characters).
 */
export function redactSecrets(text: string, secrets: readonly (Secret | undefined)[]): string {
  if (text.length === 0) return text
  const folded = fold(text)
  const spans: [number, number][] = []
  for (const secret of secrets) {
    if (!secret || secret.isEmpty()) continue
    matcherOf(secret).find(folded, spans)
  }
  if (spans.length === 0) return text
  spans.sort((a, b) => a[0] - b[0] || b[1] - a[1])
  let result = ''
  let at = 0
  for (const [start, end] of spans) {
    if (end <= at) continue
    if (start >= at) result += text.slice(at, start) + REDACTED
    at = end
  }
  return result + text.slice(at)
}

// Runs shorter than this are not redacted as fragments: they would match ordinary words.
const MIN_FRAGMENT = 8
// A secret longer than this (a certificate?) is matched by its forms, windows only up to here.
const MAX_WINDOWED = 4_096

/** The compiled forms of one secret: built once per Secret, used for every text. */
class SecretMatcher {
  /** Forms matched whole (base64, hex, short secrets): folded. */
  readonly #whole: string[]
  /** Forms any 8+ character run of which is secret: folded. */
  readonly #partial: string[]
  /** Every 8-character window of the partial forms → where it starts in which form. */
  readonly #windows = new Map<string, [number, number][]>()

  constructor(whole: readonly string[], partial: readonly string[]) {
    this.#whole = [...new Set(whole.map(fold))].filter((form) => form.length > 0)
    this.#partial = [...new Set(partial.map(fold))].filter((form) => form.length >= MIN_FRAGMENT)
    this.#partial.forEach((form, f) => {
      for (let i = 0; i + MIN_FRAGMENT <= Math.min(form.length, MAX_WINDOWED); i++) {
        const window = form.slice(i, i + MIN_FRAGMENT)
        const list = this.#windows.get(window)
        if (list) list.push([f, i])
        else this.#windows.set(window, [[f, i]])
      }
    })
  }

  /** Adds the [start, end) spans of `folded` that are secret. */
  find(folded: string, spans: [number, number][]): void {
    for (const form of this.#whole) {
      for (let at = folded.indexOf(form); at >= 0; at = folded.indexOf(form, at + 1)) spans.push([at, at + form.length])
    }
    if (this.#windows.size === 0) return
    // Every start is tried, not only those after the last match: a run that matched one form (the
    // "0aaaaaaa" of "%20aaaaaaa") may hide the start of a longer run of another ("aaaaaaaé").
    // Overlapping spans are merged by redactSecrets.
    for (let i = 0; i + MIN_FRAGMENT <= folded.length; i++) {
      const starts = this.#windows.get(folded.slice(i, i + MIN_FRAGMENT))
      if (!starts) continue
      let longest = MIN_FRAGMENT
      for (const [f, offset] of starts) {
        const form = this.#partial[f]!
        let length = MIN_FRAGMENT
        while (i + length < folded.length && offset + length < form.length && folded[i + length] === form[offset + length]) length++
        longest = Math.max(longest, length)
      }
      spans.push([i, i + longest])
    }
  }
}

const matchers = new WeakMap<Secret, SecretMatcher>()

function matcherOf(secret: Secret): SecretMatcher {
  let matcher = matchers.get(secret)
  if (!matcher) {
    const value = secret.reveal()
    // A URL's host is no secret: of a webhook URL, only the path and query are fragments.
    const parts = urlParts(value)
    const partial = parts !== undefined ? parts.flatMap(textForms) : value.length >= MIN_FRAGMENT ? textForms(value) : []
    const encodings = [value, ...(parts ?? [])].flatMap(encodedForms)
    matcher = new SecretMatcher([...textForms(value), ...encodings], partial)
    matchers.set(secret, matcher)
  }
  return matcher
}

// The value and its URL encodings: encodeURIComponent's, and every byte as %XX (upper and
// lower case hex are one form once folded).
function textForms(value: string): string[] {
  const everyByte = [...Buffer.from(value)].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('')
  // Upper-casing can change the length (ß → SS), so that form is listed on its own.
  return [value, value.toUpperCase(), encodeURIComponent(value), encodeURI(value), everyByte, value.replaceAll(' ', '+')]
}

// A webhook URL's key lives in its path or query, which a target may echo without the host:
// those parts are secret on their own (whole when short, any 8+ run when long).
function urlParts(value: string): string[] | undefined {
  let url: URL | undefined
  try {
    url = /^https?:\/\//i.test(value) ? new URL(value) : undefined
  } catch {
    url = undefined
  }
  if (!url) return undefined
  const parts = [`${url.pathname}${url.search}`, ...url.pathname.split('/'), ...url.searchParams.values(), url.password]
  return parts.filter((part) => part.length >= MIN_FRAGMENT)
}

// Base64 is case-sensitive, but folding both sides only makes a match likelier, never missed.
// Inside base64 of "user:" + value (Basic auth) or "\0user\0" + value (AUTH PLAIN), the value's
// bytes start at an offset of 0, 1 or 2 within a 3-byte group: for each, the characters that
// depend on the value's bytes alone are the same whatever the prefix.
function encodedForms(value: string): string[] {
  const bytes = Buffer.from(value)
  const forms = [bytes.toString('hex'), bytes.toString('base64'), bytes.toString('base64url')]
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64')
    const first = Math.ceil((8 * shift) / 6)
    const last = Math.floor((8 * (shift + bytes.length)) / 6)
    const core = encoded.slice(first, last)
    if (core.length >= 4) forms.push(core, core.replaceAll('+', '-').replaceAll('/', '_'))
  }
  return forms
}

// Lower case per UTF-16 unit, keeping the length, so a span in the folded text is the same span
// in the original ('İ'.toLowerCase() is two units: such a unit is kept as it is).
function fold(text: string): string {
  const lower = text.toLowerCase()
  if (lower.length === text.length) return lower
  let result = ''
  for (const unit of text) {
    const folded = unit.toLowerCase()
    result += folded.length === unit.length ? folded : unit
  }
  return result
}
