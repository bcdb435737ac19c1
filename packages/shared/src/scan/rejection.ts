/**
 * Why a request body is not a scan we accept, with the HTTP status to answer and a message that
 * says which field is wrong and how to fix it.
 */
export class ScanRejection extends Error {
  constructor(
    message: string,
    readonly status: 400 | 413 = 400,
  ) {
    super(message)
    this.name = 'ScanRejection'
  }
}

/** Formats a path like `resources[3].vulnerabilities[0].name` from zod-style path segments. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = ''
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`
    else text += text ? `.${String(segment)}` : String(segment)
  }
  return text || '(the body)'
}

/**
 * The most items a list of a scan (resources, vulnerabilities, results, malware…) may hold:
 * 100,000 findings are already far beyond any real image, and a bound keeps a hostile body from
 * costing unbounded work downstream.
 */
export const MAX_LIST_ITEMS = 100_000

/** A schema issue as the parsers see it (zod's shape). */
export interface SchemaIssue {
  readonly code: string
  readonly message: string
  /** For `too_big`: what was too big (`array`, `string`) and the bound. */
  readonly origin?: string
  readonly maximum?: number | bigint
  readonly minimum?: number | bigint
}

/** The longest image name, registry, digest or artifact name accepted, in characters. */
export const MAX_NAME_LENGTH = 4096

/**
 * The longest text of any field, in characters (descriptions, titles, unknown fields): real CVE
 * descriptions stay under a few KB; a 5 MB one is an attack on every renderer and target.
 */
export const MAX_TEXT_LENGTH = 65_536

/** A path segment list as the limit walk builds it. */
type Path = PropertyKey[]

/**
 * Checks the limits SECURITY.md states on a parsed body, whatever its source and whatever the
 * fields' names (unknown ones too): every array and every object at most MAX_LIST_ITEMS entries,
 * every string (and field name) at most MAX_TEXT_LENGTH characters. Returns the rejection naming the first field
 * over a limit, or undefined. The body's nesting is already bounded, so recursion is safe.
 */
export function limitRejection(value: unknown, path: Path = []): ScanRejection | undefined {
  if (typeof value === 'string') {
    return value.length > MAX_TEXT_LENGTH
      ? new ScanRejection(
          `the field \`${formatPath(path)}\` is longer than ${MAX_TEXT_LENGTH} characters (${value.length}); shorten it or leave it out`,
        )
      : undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  if (Array.isArray(value)) {
    if (value.length > MAX_LIST_ITEMS) {
      return new ScanRejection(
        `the list \`${formatPath(path)}\` holds more than ${MAX_LIST_ITEMS} items; split the scan or report fewer items`,
        413,
      )
    }
    for (let i = 0; i < value.length; i++) {
      const element = value[i] as unknown
      if (typeof element !== 'object' && typeof element !== 'string') continue
      path.push(i)
      const rejection = limitRejection(element, path)
      path.pop()
      if (rejection) return rejection
    }
    return undefined
  }
  const keys = Object.keys(value)
  if (keys.length > MAX_LIST_ITEMS) {
    return new ScanRejection(
      `the object \`${formatPath(path)}\` has more than ${MAX_LIST_ITEMS} fields; split the scan or report fewer items`,
      413,
    )
  }
  for (const key of keys) {
    if (key.length > MAX_TEXT_LENGTH) {
      return new ScanRejection(
        `a field name in \`${formatPath(path)}\` is longer than ${MAX_TEXT_LENGTH} characters; no scan format has such names`,
      )
    }
    const field = (value as Record<string, unknown>)[key]
    if (typeof field !== 'object' && typeof field !== 'string') continue
    path.push(key)
    const rejection = limitRejection(field, path)
    path.pop()
    if (rejection) return rejection
  }
  return undefined
}

/**
 * Turns the first schema issue of a body into the rejection to answer: 413 for a list over
 * MAX_LIST_ITEMS, else 400 saying whether the field is missing or invalid.
 */
export function rejectionFor(issue: SchemaIssue, where: string, notA: string, missingHint: string): ScanRejection {
  if (issue.code === 'too_big' && issue.origin === 'string') {
    return new ScanRejection(`${notA}: the field \`${where}\` is longer than ${String(issue.maximum)} characters`)
  }
  if (issue.code === 'too_big' && issue.origin === 'number') {
    return new ScanRejection(`${notA}: the field \`${where}\` is larger than ${String(issue.maximum)}`)
  }
  if (issue.code === 'too_small' && issue.origin === 'number') {
    return new ScanRejection(`${notA}: the field \`${where}\` is below ${String(issue.minimum)}; counts are whole numbers from 0`)
  }
  if (issue.code === 'too_big') {
    return new ScanRejection(`the list \`${where}\` holds more than ${MAX_LIST_ITEMS} items; split the scan or report fewer items`, 413)
  }
  if (issue.code === 'invalid_type' && issue.message.includes('undefined')) {
    return new ScanRejection(`${notA}: the field \`${where}\` is missing; ${missingHint}`)
  }
  return new ScanRejection(`${notA}: the field \`${where}\` is invalid: ${issue.message}`)
}
