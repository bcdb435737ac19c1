import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { HTTP_LIMIT_DEFAULTS, adminAccess, presentedToken, type HttpLimits, type Secret } from '@postee/shared'
import { withTimeout } from '@postee/store'
import type { DispatcherMetrics } from './metrics.js'

/** What the dispatcher's own port serves. */
export interface HealthServerDependencies {
  readonly ready: () => Promise<{ readonly postgres: boolean; readonly redis: boolean }>
  readonly metrics: DispatcherMetrics
  /** Reloads cfg.yaml; resolves to the problems when the new config was refused. */
  readonly reload: () => Promise<{ readonly applied: boolean; readonly problems?: readonly string[] }>
  /**
   * The admin tokens that may call the admin routes (POST /reload), and the ingest tokens, which
   * are refused there with 403; with no admin token configured the admin routes are closed.
   */
  readonly tokens: () => { readonly admin: readonly Secret[]; readonly ingest: readonly Secret[] }
  /** Header and request timeouts; the defaults when absent. */
  readonly httpLimits?: HttpLimits
}

/** `/healthz`, `/readyz`, `/metrics` (open), and `POST /reload` (admin token) on POSTEE_DISPATCHER_HTTP. */
export function createHealthServer(deps: HealthServerDependencies): Server {
  const limits = deps.httpLimits ?? HTTP_LIMIT_DEFAULTS
  const options = { headersTimeout: limits.headersTimeoutMs, requestTimeout: limits.requestTimeoutMs, connectionsCheckingInterval: 1_000 }
  const respond = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    const path = new URL(req.url ?? '/', 'http://dispatcher').pathname
    if (req.method === 'GET' && path === '/healthz') return void json(200, { status: 'ok' })
    if (req.method === 'GET' && path === '/readyz') {
      const { postgres, redis } = await deps.ready().catch(() => ({ postgres: false, redis: false }))
      return void json(postgres && redis ? 200 : 503, { postgres: postgres ? 'ok' : 'down', redis: redis ? 'ok' : 'down' })
    }
    if (req.method === 'GET' && path === '/metrics') {
      try {
        // Queue gauges read Redis: while it is down, the scrape fails fast instead of hanging.
        const text = await withTimeout(
          deps.metrics.registry.metrics(),
          METRICS_TIMEOUT_MS,
          'the metrics were not collected in time (Redis or Postgres down?)',
        )
        return void res.writeHead(200, { 'content-type': deps.metrics.registry.contentType }).end(text)
      } catch (error) {
        return void json(503, { error: `metrics unavailable: ${(error as Error).message}` })
      }
    }
    if (req.method === 'POST' && path === '/reload') {
      const header = req.headers['x-postee-token']
      const access = adminAccess(
        presentedToken({ authorization: req.headers.authorization, header: typeof header === 'string' ? header : undefined }),
        deps.tokens(),
      )
      if (!access.allowed) return void refuse(res, access.status, access.error)
      const result = await deps.reload()
      return void json(result.applied ? 200 : 422, result)
    }
    json(404, { error: 'not found: GET /healthz, /readyz, /metrics; POST /reload' })
  }
  return createServer(options, (req, res) => {
    respond(req, res).catch((error: Error) => {
      if (res.headersSent) return void res.destroy()
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `the request failed: ${error.message}` }))
    })
  })
}

/** How long a scrape of /metrics may take before it is answered 503. */
const METRICS_TIMEOUT_MS = 1_500

// A refused request's connection is closed after the answer; its body is never read.
function refuse(res: ServerResponse, status: number, error: string): void {
  const headers: Record<string, string> = { 'content-type': 'application/json', connection: 'close' }
  if (status === 401) headers['www-authenticate'] = 'Bearer'
  res.writeHead(status, headers).end(JSON.stringify({ error }))
}
