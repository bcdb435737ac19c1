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
}

/** The longest image name, registry, digest or artifact name accepted, in characters. */
export const MAX_NAME_LENGTH = 4096

/**
 * Turns the first schema issue of a body into the rejection to answer: 413 for a list over
 * MAX_LIST_ITEMS, else 400 saying whether the field is missing or invalid.
 */
export function rejectionFor(issue: SchemaIssue, where: string, notA: string, missingHint: string): ScanRejection {
  if (issue.code === 'too_big' && issue.origin === 'string') {
    return new ScanRejection(`${notA}: the field \`${where}\` is longer than ${String(issue.maximum)} characters`)
  }
  if (issue.code === 'too_big') {
    return new ScanRejection(`the list \`${where}\` holds more than ${MAX_LIST_ITEMS} items; split the scan or report fewer items`, 413)
  }
  if (issue.code === 'invalid_type' && issue.message.includes('undefined')) {
    return new ScanRejection(`${notA}: the field \`${where}\` is missing; ${missingHint}`)
  }
  return new ScanRejection(`${notA}: the field \`${where}\` is invalid: ${issue.message}`)
}
