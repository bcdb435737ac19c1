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
