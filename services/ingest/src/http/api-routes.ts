import express, { type Router } from 'express'
import {
  DELIVERY_LIST_LIMIT,
  FINDING_LIST_LIMIT,
  getScanView,
  isFindingCursor,
  listDeliveries,
  listFindings,
  replayDeliveries,
  type DeliveryStatus,
  type FindingFilter,
  type ReplaySelector,
} from '@postee/store'
import type { IngestDependencies } from '../ingest-scan.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const STATUSES: readonly DeliveryStatus[] = ['pending', 'buffered', 'sending', 'sent', 'failed', 'dead']

/** The operator API: `/api/scans/:id`, `/api/deliveries`, `/api/findings` and replay. */
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
    const { scan, status, output, since, limit } = req.query
    const limitNumber = typeof limit === 'string' && /^\d+$/.test(limit) ? Number(limit) : Number.NaN
    if (limit !== undefined && !(limitNumber >= 1 && limitNumber <= DELIVERY_LIST_LIMIT.max)) {
      res
        .status(400)
        .json({ error: `limit must be a whole number from 1 to ${DELIVERY_LIST_LIMIT.max} (default ${DELIVERY_LIST_LIMIT.default})` })
      return
    }
    const sinceDate = typeof since === 'string' ? new Date(since) : undefined
    if (since !== undefined && (!sinceDate || Number.isNaN(sinceDate.getTime()))) {
      res.status(400).json({ error: 'since must be an ISO 8601 time, e.g. 2026-11-26T10:00:00Z' })
      return
    }
    if (scan !== undefined && (typeof scan !== 'string' || !UUID.test(scan))) {
      res.status(400).json({ error: 'scan must be a scan id (a UUID, as returned by POST /scan)' })
      return
    }
    if (status !== undefined && !STATUSES.includes(status as DeliveryStatus)) {
      res.status(400).json({ error: `status must be one of ${STATUSES.join(', ')}` })
      return
    }
    const deliveries = await listDeliveries(deps.db, {
      ...(scan ? { scan: scan } : {}),
      ...(status ? { status: status as DeliveryStatus } : {}),
      ...(typeof output === 'string' ? { output } : {}),
      ...(sinceDate ? { since: sinceDate } : {}),
      ...(limit !== undefined ? { limit: limitNumber } : {}),
    })
    res.json({ deliveries })
  })
  router.get('/findings', async (req, res) => {
    const filter = findingFilter(req.query)
    if (typeof filter === 'string') {
      res.status(400).json({ error: filter })
      return
    }
    res.json(await listFindings(deps.db, filter))
  })
  router.post('/deliveries/replay', express.json({ limit: '1mb' }), async (req, res) => {
    const selector = replaySelector(req.body)
    if (typeof selector === 'string') {
      res.status(400).json({ error: selector })
      return
    }
    const report = await replayDeliveries(deps.db, deps.queues, selector)
    deps.log.info({ ...report, selector }, 'deliveries replayed')
    res.json(report)
  })
  return router
}

/**
 * Reads `{ids?, output?, since?, all?}`: which failed or dead deliveries to replay. Without any
 * selector the caller must say `all: true`, so an empty body never replays everything by accident.
 */
function replaySelector(body: unknown): ReplaySelector | string {
  const usage = 'send JSON {"ids": [...]} or {"output": "name"} or {"since": "2026-01-01T00:00:00Z"} (combinable), or {"all": true}'
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return `the body must be a JSON object: ${usage}`
  const { ids, output, since, all } = body as Record<string, unknown>
  const selector: { ids?: string[]; output?: string; since?: Date } = {}
  if (ids !== undefined) {
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string' && UUID.test(id)))
      return 'ids must be a list of delivery ids (UUIDs)'
    selector.ids = ids as string[]
  }
  if (output !== undefined) {
    if (typeof output !== 'string' || output === '') return 'output must be an integration name'
    selector.output = output
  }
  if (since !== undefined) {
    const date = typeof since === 'string' ? new Date(since) : undefined
    if (!date || Number.isNaN(date.getTime())) return 'since must be an ISO 8601 time, e.g. 2026-11-26T10:00:00Z'
    selector.since = date
  }
  if (Object.keys(selector).length === 0 && all !== true) return `say which deliveries to replay: ${usage}`
  return selector
}

const FINDING_STATES = ['open', 'fixed'] as const

/** Reads the query of `GET /api/findings`; a string is what is wrong with it. */
function findingFilter(query: Record<string, unknown>): FindingFilter | string {
  const { registry, image, state, vulnerability, limit, cursor } = query
  const filter: { -readonly [K in keyof FindingFilter]: FindingFilter[K] } = {}
  for (const [name, value] of Object.entries({ registry, image, vulnerability })) {
    if (value === undefined) continue
    if (typeof value !== 'string') return `${name} must be given once, as text`
    filter[name as 'registry' | 'image' | 'vulnerability'] = value
  }
  if (state !== undefined) {
    if (!FINDING_STATES.includes(state as (typeof FINDING_STATES)[number])) return `state must be one of ${FINDING_STATES.join(', ')}`
    filter.state = state as (typeof FINDING_STATES)[number]
  }
  if (limit !== undefined) {
    const n = typeof limit === 'string' && /^\d+$/.test(limit) ? Number(limit) : Number.NaN
    if (!(n >= 1 && n <= FINDING_LIST_LIMIT.max))
      return `limit must be a whole number from 1 to ${FINDING_LIST_LIMIT.max} (default ${FINDING_LIST_LIMIT.default})`
    filter.limit = n
  }
  if (cursor !== undefined) {
    if (typeof cursor !== 'string' || !isFindingCursor(cursor)) return 'cursor must be the `next` of a previous page, as returned'
    filter.cursor = cursor
  }
  return filter
}
