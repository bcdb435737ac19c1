import { createHash, timingSafeEqual } from 'node:crypto'
import type { RequestHandler } from 'express'
import type { Secret } from '@postee/shared'

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

/** The token a request carries: `Authorization: Bearer`, `X-Postee-Token`, or `?token=`. */
function presentedToken(authorization: string | undefined, header: string | undefined, query: unknown): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]
  return bearer?.trim() ?? header ?? (typeof query === 'string' ? query : undefined)
}

/**
 * Requires one of the configured tokens (several during a rotation). Comparison hashes both sides
 * first so it takes the same time whatever the length, and checks every token.
 */
export function requireToken(tokens: () => readonly Secret[]): RequestHandler {
  return (req, res, next) => {
    const accepted = tokens()
    if (accepted.length === 0) return next()
    const presented = presentedToken(req.get('authorization'), req.get('x-postee-token'), req.query.token)
    if (presented !== undefined) {
      const presentedDigest = digest(presented)
      let ok = false
      for (const token of accepted) ok = timingSafeEqual(presentedDigest, digest(token.reveal())) || ok
      if (ok) return next()
    }
    res
      .status(401)
      .set('WWW-Authenticate', 'Bearer')
      .json({ error: 'a valid ingest token is required: send it as "Authorization: Bearer <token>", header X-Postee-Token, or ?token=' })
  }
}
