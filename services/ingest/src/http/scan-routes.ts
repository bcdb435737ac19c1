import express, { type ErrorRequestHandler, type Router } from 'express'
import { ScanRejection, parseScanBody, type Secret } from '@postee/shared'
import { isPostgresConnectionError } from '@postee/store'
import { admitBody, type BodyBudget } from './admission.js'
import { signatureProblem } from './auth.js'
import { refuse } from './connection-guard.js'
import { createScanIngestor, type IngestDependencies } from '../ingest-scan.js'

/** `POST /` and `POST /scan`: the scan webhook. */
export function scanRoutes(
  deps: IngestDependencies,
  auth: express.RequestHandler,
  maxBodyBytes: () => number,
  hmacSecrets: () => readonly Secret[],
  budget: BodyBudget,
): Router {
  const router = express.Router()
  const ingestScan = createScanIngestor(deps)
  // body-parser inflates gzip/deflate/br and applies the limit to the inflated size. The parser is
  // built once per limit (a config reload may change it), not per request.
  let parser = { limit: -1, middleware: ((_req, _res, next) => next()) as express.RequestHandler }
  // A body is never read beyond the memory budget either: one larger than the budget could not be
  // parsed under the heap limit, so it gets 413 before it costs anything.
  const bodyLimit = () => Math.min(maxBodyBytes(), budget.budgetBytes)
  const body: express.RequestHandler = (req, res, next) => {
    const limit = bodyLimit()
    if (parser.limit !== limit) parser = { limit, middleware: express.raw({ type: () => true, limit, inflate: true }) }
    return parser.middleware(req, res, next)
  }
  const handler: express.RequestHandler = async (req, res) => {
    const source = typeof req.query.source === 'string' ? req.query.source : req.get('x-postee-source')
    const bytes: Uint8Array = Buffer.isBuffer(req.body) ? req.body : new Uint8Array()
    if (typeof res.locals.signature === 'string') {
      const problem = signatureProblem(res.locals.signature, bytes, hmacSecrets())
      if (problem) {
        deps.metrics.scansRejected.inc({ reason: 'unauthorized' })
        refuse(res, 401, problem)
        return
      }
    }
    // Only the model is kept: the parsed text and JSON tree of a large body become garbage at once,
    // and the body is stored from the received bytes (outside the JS heap), not from a copy.
    let scan
    try {
      scan = parseScanBody(bytes, source).scan
    } catch (error) {
      if (!(error instanceof ScanRejection)) throw error
      deps.metrics.scansRejected.inc({ reason: error.status === 413 ? 'too-large' : 'invalid' })
      res.status(error.status).json({ error: error.message })
      return
    }
    try {
      const result = await ingestScan(scan, bytes)
      res.status(202).json(result)
    } catch (error) {
      deps.metrics.scansRejected.inc({ reason: 'unavailable' })
      // An unreachable Postgres is logged once per outage (see DependencyStatus), not per scan.
      deps.log[isPostgresConnectionError(error) ? 'debug' : 'error']({ err: (error as Error).message }, 'could not store a scan')
      res
        .status(503)
        .set('Retry-After', '5')
        .json({ error: 'the scan could not be stored (database unavailable); nothing was kept, retry later' })
    }
  }
  const { admit, settle } = admitBody(budget, bodyLimit, () => deps.metrics.scansRejected.inc({ reason: 'busy' }))
  router.post(['/', '/scan'], auth, admit, body, settle, handler)
  router.use(bodyErrors(deps, maxBodyBytes, budget))
  return router
}

function bodyErrors(deps: IngestDependencies, maxBodyBytes: () => number, budget: BodyBudget): ErrorRequestHandler {
  return (error: { type?: string; status?: number; message?: string }, req, res, next) => {
    if (res.headersSent) return void res.destroy()
    // The rest of a refused body is not read: the connection closes after the answer.
    if (!req.complete) res.set('Connection', 'close')
    if (error.type === 'entity.too.large') {
      deps.metrics.scansRejected.inc({ reason: 'too-large' })
      const byBudget = budget.budgetBytes < maxBodyBytes()
      res.status(413).json({
        error: byBudget
          ? `the body is larger than ${budget.budgetBytes} bytes (after decompression), the memory budget of this ingest (POSTEE_INGEST_BODY_BUDGET_MB, below Max-Body-Size); raise it together with the heap limit (NODE_OPTIONS=--max-old-space-size) to accept it`
          : `the body is larger than the limit of ${maxBodyBytes()} bytes (after decompression); raise Max-Body-Size in the common item of cfg.yaml to accept it`,
      })
      return
    }
    if (error.type === 'encoding.unsupported') {
      res.status(415).json({ error: `${error.message}; send the body as identity, gzip, deflate or br` })
      return
    }
    if (typeof error.status === 'number' && error.status >= 400 && error.status < 500) {
      deps.metrics.scansRejected.inc({ reason: 'invalid' })
      res.status(400).json({ error: `the body could not be read: ${error.message ?? 'malformed request'}` })
      return
    }
    next(error)
  }
}
