import express, { type ErrorRequestHandler, type Express } from 'express'
import { HTTP_LIMIT_DEFAULTS, type HttpLimits } from '@postee/shared'
import { isPostgresConnectionError } from '@postee/store'
import { apiRoutes } from './http/api-routes.js'
import { authenticateScan, requireAdmin, type IngestCredentials } from './http/auth.js'
import { bodyIdleTimeout, perClientLimit, refuse } from './http/connection-guard.js'
import { BodyBudget, bodyBudgetBytes } from './http/admission.js'
import { scanRoutes } from './http/scan-routes.js'
import type { IngestDependencies } from './ingest-scan.js'
import { consoleApiRoutes } from './http/console-api-routes.js'
import { consoleStatic } from './http/console-static.js'

/** Answers whether each backing service is reachable, for `/readyz`. */
export type ReadinessProbe = () => Promise<{ readonly postgres: boolean; readonly redis: boolean }>

/** Everything the HTTP layer needs beyond the orchestrator's dependencies. */
export interface AppDependencies extends IngestDependencies {
  readonly ready: ReadinessProbe
  readonly credentials: () => IngestCredentials
  /** Validates cfg.yaml as it is on disk now, for the console's config page. */
  readonly checkConfig?: () => Promise<readonly string[]>
  /** Reloads cfg.yaml (POST /api/reload); the problems when the new config was refused. */
  readonly reload?: () => Promise<{ readonly applied: boolean; readonly problems?: readonly string[] }>
  /** Per-client cap, body idle timeout and the budget for unverified signed bodies; the defaults when absent. */
  readonly httpLimits?: HttpLimits
  /** Bytes of scan bodies processed at once (POSTEE_INGEST_BODY_BUDGET_MB); default: see bodyBudgetBytes. */
  readonly bodyBudgetBytes?: number
}

/** Wires the routes of docs/http-api.md; no logic of its own. */
export function createApp(deps: AppDependencies): Express {
  const app = express()
  app.disable('x-powered-by')
  app.set('query parser', 'simple')
  app.get('/ping', (_req, res) => {
    res.type('text/plain').send('Postee alive!')
  })
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' })
  })
  app.get('/readyz', async (_req, res) => {
    const { postgres, redis } = await deps.ready()
    const state = { postgres: postgres ? 'ok' : 'down', redis: redis ? 'ok' : 'down' }
    res.status(postgres && redis ? 200 : 503).json(state)
  })
  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics())
  })
  // Probes above stay open and uncapped; everything below is capped per client and must keep its body flowing.
  const limits = deps.httpLimits ?? HTTP_LIMIT_DEFAULTS
  app.use(perClientLimit(() => limits.maxRequestsPerClient))
  app.use(bodyIdleTimeout(() => limits.bodyIdleTimeoutMs))
  const auth = requireAdmin(deps.credentials)
  app.post('/api/reload', auth, async (_req, res) => {
    if (!deps.reload) return void res.status(404).json({ error: 'reload is not available here' })
    const result = await deps.reload()
    res.status(result.applied ? 200 : 422).json(result)
  })
  app.use('/ui', consoleStatic())
  app.use('/api/console', auth, consoleApiRoutes(deps))
  app.use('/api', auth, apiRoutes(deps))
  const maxBodyBytes = () => deps.config().common.maxBodyBytes
  const scanAuth = authenticateScan(deps.credentials, { maxBodyBytes, unverifiedBodyBytes: () => limits.unverifiedBodyBytes })
  const budget = new BodyBudget(deps.bodyBudgetBytes ?? bodyBudgetBytes(undefined))
  app.use(scanRoutes(deps, scanAuth, maxBodyBytes, () => deps.credentials().hmacSecrets, budget))
  app.use((req, res) => {
    // An unread body is not read just to be discarded.
    if (!req.complete)
      return void refuse(res, 404, 'not found: scans go to POST / or POST /scan; see also /api/scans/:id and /api/deliveries')
    res.status(404).json({ error: 'not found: scans go to POST / or POST /scan; see also /api/scans/:id and /api/deliveries' })
  })
  app.use(internalError(deps))
  return app
}

function internalError(deps: AppDependencies): ErrorRequestHandler {
  // Express knows an error handler by its four parameters.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  return (error: Error, _req, res, _next) => {
    if (res.headersSent) return void res.destroy()
    if (isPostgresConnectionError(error)) {
      // Logged once per outage by the Postgres status; the caller may simply retry.
      deps.log.debug({ err: error.message }, 'request failed: Postgres is unreachable')
      res.status(503).set('Retry-After', '5').json({ error: 'the database is unreachable; retry later' })
      return
    }
    deps.log.error({ err: error.message }, 'request failed')
    res.status(500).json({ error: 'internal error; the request was not processed' })
  }
}
