import express, { type ErrorRequestHandler, type Express } from 'express'
import { apiRoutes } from './http/api-routes.js'
import { authenticateScan, requireToken, type IngestCredentials } from './http/auth.js'
import { BodyBudget, bodyBudgetFromEnv } from './http/admission.js'
import { scanRoutes } from './http/scan-routes.js'
import type { IngestDependencies } from './ingest-scan.js'

/** Answers whether each backing service is reachable, for `/readyz`. */
export type ReadinessProbe = () => Promise<{ readonly postgres: boolean; readonly redis: boolean }>

/** Everything the HTTP layer needs beyond the orchestrator's dependencies. */
export interface AppDependencies extends IngestDependencies {
  readonly ready: ReadinessProbe
  readonly credentials: () => IngestCredentials
  /** Reloads cfg.yaml (POST /api/reload); the problems when the new config was refused. */
  readonly reload?: () => Promise<{ readonly applied: boolean; readonly problems?: readonly string[] }>
  /** Bytes of scan bodies processed at once (POSTEE_INGEST_BODY_BUDGET_MB); default: see bodyBudgetFromEnv. */
  readonly bodyBudgetBytes?: number
}

/** Wires the routes of contract.md "HTTP API of ingest"; no logic of its own. */
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
  const auth = requireToken(deps.credentials)
  app.post('/api/reload', auth, async (_req, res) => {
    if (!deps.reload) return void res.status(404).json({ error: 'reload is not available here' })
    const result = await deps.reload()
    res.status(result.applied ? 200 : 422).json(result)
  })
  app.use('/api', auth, apiRoutes(deps))
  const budget = new BodyBudget(deps.bodyBudgetBytes ?? bodyBudgetFromEnv({}))
  app.use(scanRoutes(deps, authenticateScan(deps.credentials), () => deps.config().common.maxBodyBytes, () => deps.credentials().hmacSecrets, budget))
  app.use((_req, res) => {
    res.status(404).json({ error: 'not found: scans go to POST / or POST /scan; see also /api/scans/:id and /api/deliveries' })
  })
  app.use(internalError(deps))
  return app
}

function internalError(deps: AppDependencies): ErrorRequestHandler {
  return (error: Error, _req, res, _next) => {
    deps.log.error({ err: error.message }, 'request failed')
    res.status(500).json({ error: 'internal error; the request was not processed' })
  }
}
