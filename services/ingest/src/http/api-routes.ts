import express, { type Router } from 'express'
import { getScanView, listDeliveries, type DeliveryStatus } from '@postee/store'
import type { IngestDependencies } from '../ingest-scan.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const STATUSES: readonly DeliveryStatus[] = ['pending', 'buffered', 'sending', 'sent', 'failed', 'dead']

/** The read-only API: `/api/scans/:id` and `/api/deliveries`. */
export function apiRoutes(deps: IngestDependencies): Router {
  const router = express.Router()
  router.get('/scans/:id', async (req, res) => {
    const scan = UUID.test(req.params.id) ? await getScanView(deps.db, req.params.id) : undefined
    if (!scan) {
      res.status(404).json({ error: `no scan with id ${JSON.stringify(req.params.id)}` })
      return
    }
    res.json(scan)
  })
  router.get('/deliveries', async (req, res) => {
    const { scan, status, output } = req.query
    if (scan !== undefined && (typeof scan !== 'string' || !UUID.test(scan))) {
      res.status(400).json({ error: 'scan must be a scan id (a UUID, as returned by POST /scan)' })
      return
    }
    if (status !== undefined && !STATUSES.includes(status as DeliveryStatus)) {
      res.status(400).json({ error: `status must be one of ${STATUSES.join(', ')}` })
      return
    }
    const deliveries = await listDeliveries(deps.db, {
      ...(scan ? { scan: scan as string } : {}),
      ...(status ? { status: status as DeliveryStatus } : {}),
      ...(typeof output === 'string' ? { output } : {}),
    })
    res.json({ deliveries })
  })
  return router
}
