import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { RequestHandler } from 'express'
import type { Secret } from '@postee/shared'

/** What ingest accepts as proof of the sender: tokens, and keys that sign bodies. */
export interface IngestCredentials {
  readonly tokens: readonly Secret[]
  readonly hmacSecrets: readonly Secret[]
}

/** How far a signature's timestamp may be from now: replays of old bodies are refused. */
export const SIGNATURE_WINDOW_SECONDS = 300

const TOKEN_HELP = 'send it as "Authorization: Bearer <token>", header X-Postee-Token, or ?token='

function digest(value: string | Buffer): Buffer {
  return createHash('sha256').update(value).digest()
}

// Hashing both sides first makes the comparison take the same time whatever the lengths, and
// every candidate is compared, so timing does not tell which one (if any) matched.
function matchesAny(presented: string, secrets: readonly Secret[]): boolean {
  const presentedDigest = digest(presented)
  let ok = false
  for (const secret of secrets) ok = timingSafeEqual(presentedDigest, digest(secret.reveal())) || ok
  return ok
}

/** The token a request carries: `Authorization: Bearer`, `X-Postee-Token`, or `?token=`. */
function presentedToken(authorization: string | undefined, header: string | undefined, query: unknown): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]
  return bearer?.trim() ?? header ?? (typeof query === 'string' ? query : undefined)
}

/** Requires one of the configured tokens (several during a rotation); open when none is configured. */
export function requireToken(credentials: () => IngestCredentials): RequestHandler {
  return (req, res, next) => {
    const { tokens } = credentials()
    if (tokens.length === 0) return next()
    const presented = presentedToken(req.get('authorization'), req.get('x-postee-token'), req.query.token)
    if (presented !== undefined && matchesAny(presented, tokens)) return next()
    res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: `a valid ingest token is required: ${TOKEN_HELP}` })
  }
}

/**
 * For scan POSTs: a valid token passes at once; a request carrying `X-Postee-Signature` is let
 * through to have its body verified once read (`res.locals.signature`); anything else is refused.
 * Open when neither tokens nor signing keys are configured.
 */
export function authenticateScan(credentials: () => IngestCredentials): RequestHandler {
  return (req, res, next) => {
    const { tokens, hmacSecrets } = credentials()
    if (tokens.length === 0 && hmacSecrets.length === 0) return next()
    const presented = presentedToken(req.get('authorization'), req.get('x-postee-token'), req.query.token)
    if (presented !== undefined && matchesAny(presented, tokens)) return next()
    const signature = req.get('x-postee-signature')
    if (hmacSecrets.length > 0 && signature !== undefined) {
      res.locals.signature = signature
      return next()
    }
    const ways = [tokens.length > 0 && `a valid ingest token (${TOKEN_HELP})`, hmacSecrets.length > 0 && 'an X-Postee-Signature header'].filter(Boolean)
    res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: `authentication required: ${ways.join(' or ')}` })
  }
}

/**
 * Checks `X-Postee-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>` against
 * every signing key; the body is the JSON as sent before any Content-Encoding. Returns why it
 * fails, or undefined when it is valid and fresh.
 */
export function signatureProblem(header: string, body: Uint8Array, secrets: readonly Secret[], nowSeconds = Date.now() / 1000): string | undefined {
  const parts = new Map(header.split(',').map((part) => part.trim().split('=', 2) as [string, string]))
  const timestamp = Number(parts.get('t'))
  const signatures = header
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1='))
    .map((part) => part.slice(3))
  if (!Number.isInteger(timestamp) || signatures.length === 0) return 'X-Postee-Signature must read t=<unix seconds>,v1=<hex hmac-sha256>'
  if (Math.abs(nowSeconds - timestamp) > SIGNATURE_WINDOW_SECONDS) return `the signature timestamp is more than ${SIGNATURE_WINDOW_SECONDS} s from now; sign each request when it is sent`
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret.reveal()).update(`${timestamp}.`).update(body).digest()
    for (const signature of signatures) {
      const given = Buffer.from(signature, 'hex')
      if (given.length === expected.length && timingSafeEqual(given, expected)) return undefined
    }
  }
  return 'the body signature does not match any signing key'
}
