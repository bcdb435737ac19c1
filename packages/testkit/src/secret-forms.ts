// The derived forms of a secret, for the redaction tests (unit and against real processes).

/**
 * Every form of a secret a target (or a library's error) could echo back: the forms
 * redaction must remove; the error-path tests put these into real targets' answers.
 */
export function derivedForms(secret: string, user: string): { readonly name: string; readonly text: string }[] {
  const bytes = Buffer.from(secret)
  const swapped = [...secret].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join('')
  const encoded = encodeURIComponent(secret)
  return [
    { name: 'exact', text: secret },
    { name: 'upper case', text: secret.toUpperCase() },
    { name: 'lower case', text: secret.toLowerCase() },
    { name: 'swapped case', text: swapped },
    { name: 'URL-encoded', text: encoded },
    { name: 'URL-encoded, lower-case hex', text: encoded.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()) },
    { name: 'every byte %XX', text: [...bytes].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('') },
    { name: 'base64', text: bytes.toString('base64') },
    { name: 'base64url', text: bytes.toString('base64url') },
    { name: 'base64 of user:password (Basic)', text: Buffer.from(`${user}:${secret}`).toString('base64') },
    { name: 'base64 of \\0user\\0password (AUTH PLAIN)', text: Buffer.from(`\0${user}\0${secret}`).toString('base64') },
    { name: 'hex', text: bytes.toString('hex') },
    { name: 'HEX', text: bytes.toString('hex').toUpperCase() },
  ]
}

/** The 8-character runs of a secret, folded: none may survive redaction (for secrets of 8+). */
export function leakedRuns(text: string, secret: string): string[] {
  const folded = text.toLowerCase()
  const runs: string[] = []
  const lower = secret.toLowerCase()
  for (let i = 0; i + 8 <= lower.length; i++) if (folded.includes(lower.slice(i, i + 8))) runs.push(lower.slice(i, i + 8))
  return runs
}
