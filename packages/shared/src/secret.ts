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
 * is logged or stored, so a target that echoes our credentials back cannot leak them.
 */
export function redactSecrets(text: string, secrets: readonly (Secret | undefined)[]): string {
  let result = text
  for (const secret of secrets) {
    if (!secret || secret.isEmpty()) continue
    for (const fragment of secretFragments(secret.reveal())) result = result.split(fragment).join(REDACTED)
  }
  return result
}

// Longest first, so a whole URL is replaced before its parts. A webhook URL's key lives in its
// path or query, which a target may echo without the host: those parts are secret on their own.
function secretFragments(value: string): string[] {
  const fragments = new Set([value, encodeURIComponent(value)])
  let url: URL | undefined
  try {
    url = /^https?:\/\//i.test(value) ? new URL(value) : undefined
  } catch {
    url = undefined
  }
  if (url) {
    if (url.pathname.length > 1 || url.search) fragments.add(`${url.pathname}${url.search}`)
    for (const part of [...url.pathname.split('/'), ...url.searchParams.values(), url.password]) {
      if (part.length >= 8) fragments.add(part)
    }
  }
  return [...fragments].filter((fragment) => fragment.length > 0).sort((a, b) => b.length - a.length)
}
