import { createHmac, timingSafeEqual } from 'node:crypto'
import type { RequestHandler } from 'express'
import { adminAccess, presentedToken, tokenMatchesAny, type Secret } from '@postee/shared'
import { refuse } from './connection-guard.js'

/** What ingest accepts as proof of the sender: scan tokens, keys that sign bodies, and the operators' admin tokens. */
export interface IngestCredentials {
  readonly tokens: readonly Secret[]
  readonly hmacSecrets: readonly Secret[]
  readonly adminTokens: readonly Secret[]
}

/** How far a signature's timestamp may be from now: replays of old bodies are refused. */
export const SIGNATURE_WINDOW_SECONDS = 300

const TOKEN_HELP = 'send it as "Authorization: Bearer <token>", header X-Postee-Token, or ?token='

/**
 * Guards `/api/*` and reload: only an admin token passes, as Bearer or X-Postee-Token (never
 * `?token=`, which ends up in proxy logs); closed when no admin token is configured.
 */
export function requireAdmin(credentials: () => IngestCredentials): RequestHandler {
  return (req, res, next) => {
    const { adminTokens, tokens } = credentials()
    const access = adminAccess(presentedToken({ authorization: req.get('authorization'), header: req.get('x-postee-token') }), {
      admin: adminTokens,
      ingest: tokens,
    })
    if (access.allowed) return next()
    refuse(res, access.status, access.error, access.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {})
  }
}

/**
 * Bytes of bodies being read before their signature can be checked, across every request: what
 * an unauthenticated client can make ingest hold is bounded by this, whatever it sends.
 */
export class UnverifiedBodyBudget {
  private used = 0

  /** Reserves `bytes`; false when that would exceed `capacity`. */
  tryReserve(bytes: number, capacity: number): boolean {
    if (this.used + bytes > capacity) return false
    this.used += bytes
    return true
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes)
  }
}

/** What `authenticateScan` needs beyond the credentials. */
export interface ScanAuthLimits {
  /** Max-Body-Size (after decompression). */
  readonly maxBodyBytes: () => number
  /** How many bytes of signed bodies may be read at once before verification; at least maxBodyBytes. */
  readonly unverifiedBodyBytes: () => number | undefined
}

/**
 * For scan POSTs, before anything of the body is read: a valid token passes at once. A request
 * carrying `X-Postee-Signature` can only be verified after its body is read, so its header must
 * be well-formed and fresh first, and its body must fit in the budget for unverified bodies
 * (else 503 at once); it is then let through with `res.locals.signature` set. Anything else is
 * refused and its connection closed. Open when neither tokens nor signing keys are configured.
 */
export function authenticateScan(credentials: () => IngestCredentials, limits?: ScanAuthLimits): RequestHandler {
  const budget = new UnverifiedBodyBudget()
  return (req, res, next) => {
    const { tokens, hmacSecrets } = credentials()
    if (tokens.length === 0 && hmacSecrets.length === 0) return next()
    const presented = presentedToken({ authorization: req.get('authorization'), header: req.get('x-postee-token'), query: req.query.token })
    if (presented !== undefined && tokenMatchesAny(presented, tokens)) return next()
    const signature = req.get('x-postee-signature')
    if (hmacSecrets.length > 0 && signature !== undefined) {
      const problem = signatureHeaderProblem(signature)
      if (problem) return void refuse(res, 401, problem)
      if (limits) {
        const maxBody = limits.maxBodyBytes()
        const capacity = Math.max(limits.unverifiedBodyBytes() ?? maxBody, maxBody)
        // A plain body announces its size; a compressed or chunked one may inflate to the limit.
        const declared = Number(req.get('content-length'))
        const identity = (req.get('content-encoding') ?? 'identity').toLowerCase() === 'identity'
        const bytes = identity && Number.isInteger(declared) && declared >= 0 ? Math.min(declared, maxBody) : maxBody
        if (!budget.tryReserve(bytes, capacity)) {
          return void refuse(
            res,
            503,
            'too many signed bodies are being verified at once; retry shortly (or send an ingest token, which is checked before the body is read)',
            { 'Retry-After': '1' },
          )
        }
        res.once('close', () => budget.release(bytes))
      }
      res.locals.signature = signature
      return next()
    }
    const ways = [
      tokens.length > 0 && `a valid ingest token (${TOKEN_HELP})`,
      hmacSecrets.length > 0 && 'an X-Postee-Signature header',
    ].filter(Boolean)
    refuse(res, 401, `authentication required: ${ways.join(' or ')}`, { 'WWW-Authenticate': 'Bearer' })
  }
}

function signatureParts(header: string): { timestamp: number; signatures: string[] } {
  const parts = new Map(header.split(',').map((part) => part.trim().split('=', 2) as [string, string]))
  const signatures = header
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1='))
    .map((part) => part.slice(3))
  return { timestamp: Number(parts.get('t')), signatures }
}

/**
 * What is wrong with an `X-Postee-Signature` header on its own (format, freshness), so a request
 * that cannot pass is refused before its body is read; undefined when the body must be checked.
 */
export function signatureHeaderProblem(header: string, nowSeconds = Date.now() / 1000): string | undefined {
  const { timestamp, signatures } = signatureParts(header)
  if (!Number.isInteger(timestamp) || signatures.length === 0 || !signatures.every((s) => /^[0-9a-f]{64}$/i.test(s))) {
    return 'X-Postee-Signature must read t=<unix seconds>,v1=<hex hmac-sha256>'
  }
  if (Math.abs(nowSeconds - timestamp) > SIGNATURE_WINDOW_SECONDS)
    return `the signature timestamp is more than ${SIGNATURE_WINDOW_SECONDS} s from now; sign each request when it is sent`
  return undefined
}

/**
 * Checks `X-Postee-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>` against
 * every signing key; the body is the JSON as sent before any Content-Encoding. Returns why it
 * fails, or undefined when it is valid and fresh.
 */
export function signatureProblem(
  header: string,
  body: Uint8Array,
  secrets: readonly Secret[],
  nowSeconds = Date.now() / 1000,
): string | undefined {
  const problem = signatureHeaderProblem(header, nowSeconds)
  if (problem) return problem
  const { timestamp, signatures } = signatureParts(header)
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret.reveal()).update(`${timestamp}.`).update(body).digest()
    for (const signature of signatures) {
      const given = Buffer.from(signature, 'hex')
      if (given.length === expected.length && timingSafeEqual(given, expected)) return undefined
    }
  }
  return 'the body signature does not match any signing key'
}
