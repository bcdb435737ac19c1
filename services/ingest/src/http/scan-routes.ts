import express, { type ErrorRequestHandler, type Router } from 'express'
import { ScanRejection, parseScanBody, type Secret } from '@postee/shared'
import { isPostgresConnectionError } from '@postee/store'
import { signatureProblem } from './auth.js'
import { refuse } from './connection-guard.js'
import { createScanIngestor, type IngestDependencies } from '../ingest-scan.js'

/** `POST /` and `POST /scan`: the scan webhook. */
export function scanRoutes(
  deps: IngestDependencies,
  auth: express.RequestHandler,
  maxBodyBytes: () => number,
  hmacSecrets: () => readonly Secret[],
): Router {
  const router = express.Router()
  const ingestScan = createScanIngestor(deps)
  // body-parser inflates gzip/deflate/br and applies the limit to the inflated size. The parser is
  // built once per limit (a config reload may change it), not per request.
  let parser = { limit: -1, middleware: ((_req, _res, next) => next()) as express.RequestHandler }
  const body: express.RequestHandler = (req, res, next) => {
    const limit = maxBodyBytes()
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
    let parsed
    try {
      parsed = parseScanBody(bytes, source)
    } catch (error) {
      if (!(error instanceof ScanRejection)) throw error
      deps.metrics.scansRejected.inc({ reason: error.status === 413 ? 'too-large' : 'invalid' })
      res.status(error.status).json({ error: error.message })
      return
    }
    try {
      const result = await ingestScan(parsed.scan, parsed.rawBody)
      res.status(202).json(result)
    } catch (error) {
      deps.metrics.scansRejected.inc({ reason: 'unavailable' })
      // An unreachable Postgres is logged once per outage (see DependencyStatus), not per scan.
      deps.log[isPostgresConnectionError(error) ? 'debug' : 'error']({ err: (error as Error).message }, 'could not store a scan')
      res.status(503).set('Retry-After', '5').json({ error: 'the scan could not be stored (database unavailable); nothing was kept, retry later' })
    }
  }
  router.post(['/', '/scan'], auth, body, handler)
  router.use(bodyErrors(deps, maxBodyBytes))
  return router
}

function bodyErrors(deps: IngestDependencies, maxBodyBytes: () => number): ErrorRequestHandler {
  return (error: { type?: string; status?: number; message?: string }, req, res, next) => {
    if (res.headersSent) return void res.destroy()
    // The rest of a refused body is not read: the connection closes after the answer.
    if (!req.complete) res.set('Connection', 'close')
    if (error.type === 'entity.too.large') {
      deps.metrics.scansRejected.inc({ reason: 'too-large' })
      res.status(413).json({ error: `the body is larger than the limit of ${maxBodyBytes()} bytes (after decompression); raise Max-Body-Size in the common item of cfg.yaml to accept it` })
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
