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
    const value = secret.reveal()
    result = result.split(value).join(REDACTED)
    const encoded = encodeURIComponent(value)
    if (encoded !== value) result = result.split(encoded).join(REDACTED)
  }
  return result
}
