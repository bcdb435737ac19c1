import { createServer, type Server } from 'node:http'
import { createHash, timingSafeEqual } from 'node:crypto'
import type { Secret } from '@postee/shared'
import type { DispatcherMetrics } from './metrics.js'

/** What the dispatcher's own port serves. */
export interface HealthServerDependencies {
  readonly ready: () => Promise<{ readonly postgres: boolean; readonly redis: boolean }>
  readonly metrics: DispatcherMetrics
  /** Reloads cfg.yaml; resolves to the problems when the new config was refused. */
  readonly reload: () => Promise<{ readonly applied: boolean; readonly problems?: readonly string[] }>
  /** Tokens that may call POST /reload (the ingest tokens); none configured leaves it open. */
  readonly tokens: () => readonly Secret[]
}

function tokenMatches(header: string | undefined, tokens: readonly Secret[]): boolean {
  const presented = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]?.trim()
  if (!presented) return false
  const digest = (value: string) => createHash('sha256').update(value).digest()
  let ok = false
  for (const token of tokens) ok = timingSafeEqual(digest(presented), digest(token.reveal())) || ok
  return ok
}

/** `/healthz`, `/readyz`, `/metrics`, and `POST /reload` (token-guarded) on POSTEE_DISPATCHER_HTTP. */
export function createHealthServer(deps: HealthServerDependencies): Server {
  return createServer(async (req, res) => {
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    if (req.method === 'GET' && req.url === '/healthz') return void json(200, { status: 'ok' })
    if (req.method === 'GET' && req.url === '/readyz') {
      const { postgres, redis } = await deps.ready().catch(() => ({ postgres: false, redis: false }))
      return void json(postgres && redis ? 200 : 503, { postgres: postgres ? 'ok' : 'down', redis: redis ? 'ok' : 'down' })
    }
    if (req.method === 'GET' && req.url === '/metrics') {
      try {
        const text = await deps.metrics.registry.metrics()
        return void res.writeHead(200, { 'content-type': deps.metrics.registry.contentType }).end(text)
      } catch (error) {
        return void json(503, { error: `metrics unavailable: ${(error as Error).message}` })
      }
    }
    if (req.method === 'POST' && req.url === '/reload') {
      const tokens = deps.tokens()
      if (tokens.length > 0 && !tokenMatches(req.headers.authorization, tokens)) {
        return void json(401, { error: 'a valid token is required: send "Authorization: Bearer <ingest token>"' })
      }
      const result = await deps.reload()
      return void json(result.applied ? 200 : 422, result)
    }
    json(404, { error: 'not found: GET /healthz, /readyz, /metrics; POST /reload' })
  })
}
