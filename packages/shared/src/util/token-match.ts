import { createHash, timingSafeEqual } from 'node:crypto'
import type { Secret } from '../secret.js'

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

/**
 * Whether `presented` equals one of `secrets`, in constant time: both sides are hashed first, so
 * the comparison takes the same time whatever the lengths, and every candidate is compared, so
 * timing does not tell which one (if any) matched.
 */
export function tokenMatchesAny(presented: string, secrets: readonly Secret[]): boolean {
  const presentedDigest = digest(presented)
  let ok = false
  for (const secret of secrets) ok = timingSafeEqual(presentedDigest, digest(secret.reveal())) || ok
  return ok
}

/** Where a request may carry a token; `query` is `?token=`, honoured only where the caller passes it. */
export interface TokenCarriers {
  readonly authorization?: string | undefined
  readonly header?: string | undefined
  readonly query?: unknown
}

/** The token a request carries: `Authorization: Bearer`, else `X-Postee-Token`, else `?token=` (when given). */
export function presentedToken(carriers: TokenCarriers): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(carriers.authorization ?? '')?.[1]?.trim()
  if (bearer) return bearer
  if (carriers.header !== undefined && carriers.header !== '') return carriers.header
  return typeof carriers.query === 'string' && carriers.query !== '' ? carriers.query : undefined
}

/** The outcome of checking a request to an admin route. */
export type AdminAccess = { readonly allowed: true } | { readonly allowed: false; readonly status: 401 | 403; readonly error: string }

const ADMIN_FORMS =
  'send it as "Authorization: Bearer <admin token>" or header X-Postee-Token (never as ?token=, which is for scan posts only)'

/**
 * Decides an admin request (`/api/*`, reload, the console): only an admin token passes. With no
 * admin token configured the routes are closed, not open; an ingest token is refused with 403,
 * since scan senders may only post scans.
 */
export function adminAccess(
  presented: string | undefined,
  tokens: { readonly admin: readonly Secret[]; readonly ingest: readonly Secret[] },
): AdminAccess {
  if (tokens.admin.length === 0) {
    return {
      allowed: false,
      status: 403,
      error: `the admin API is closed: no admin token is configured; set POSTEE_ADMIN_TOKEN (comma-separated for several) or Admin-Token in the common item of cfg.yaml, then ${ADMIN_FORMS}`,
    }
  }
  if (presented === undefined) return { allowed: false, status: 401, error: `an admin token is required: ${ADMIN_FORMS}` }
  const admin = tokenMatchesAny(presented, tokens.admin)
  const ingest = tokenMatchesAny(presented, tokens.ingest)
  if (admin) return { allowed: true }
  if (ingest)
    return {
      allowed: false,
      status: 403,
      error: 'this is an ingest token, which may only post scans; this route needs an admin token (POSTEE_ADMIN_TOKEN or Admin-Token)',
    }
  return { allowed: false, status: 401, error: `the token is not a valid admin token: ${ADMIN_FORMS}` }
}
