import express, { type Router } from 'express'
import { sql } from 'kysely'
import {
  buildReport,
  countBySeverity,
  isAggregated,
  parseScanBody,
  renderHtml,
  renderJiraWiki,
  renderSlack,
  renderSplunkEvent,
  renderTeams,
  renderText,
  routeScan,
  unpackFindings,
  type Config,
  type Finding,
  type Integration,
  type Scan,
  type ScanDiff,
} from '@postee/shared'
import { getScanView, getScansForDelivery, listDeliveries, type DeliveryStatus, type DeliveryView, type StoredDiff } from '@postee/store'
import type { IngestDependencies } from '../ingest-scan.js'

// The read endpoints of the operator console (/ui/). They live apart from api-routes.ts so the
// console can grow without touching the routes scan senders and scripts rely on.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const STATUSES: readonly DeliveryStatus[] = ['pending', 'buffered', 'sending', 'sent', 'failed', 'dead']
const OUTCOMES = ['new', 'changed', 'unchanged'] as const
const HOUR_MS = 3_600_000
// Redis may be down: the overview still answers, with the queue depth unknown.
const QUEUE_COUNT_TIMEOUT_MS = 1_500

/** What the console routes need beyond the orchestrator's dependencies. */
export interface ConsoleDependencies extends IngestDependencies {
  /** Validates cfg.yaml as it is on disk now: its problems, empty when it would load. */
  readonly checkConfig?: () => Promise<readonly string[]>
}

/** Mounted at `/api/console` behind the admin token: overview, scan search and detail, config. */
export function consoleApiRoutes(deps: ConsoleDependencies): Router {
  const router = express.Router()
  // The sign-in form's check: reaching this handler means the token passed the guard.
  router.get('/session', (_req, res) => {
    res.json({ ok: true })
  })
  router.get('/overview', async (_req, res) => {
    res.json(await overview(deps, new Date()))
  })
  router.get('/scans', async (req, res) => {
    const query = scanQuery(req.query)
    if (typeof query === 'string') return void res.status(400).json({ error: query })
    res.json(await searchScans(deps, query))
  })
  router.get('/scans/:id', async (req, res) => {
    const detail = UUID.test(req.params.id) ? await scanDetail(deps, req.params.id) : undefined
    if (!detail)
      return void res
        .status(404)
        .json({ error: `no scan with id ${JSON.stringify(req.params.id)}; it may have been removed by retention (Delete_Old_Data)` })
    res.json(detail)
  })
  router.get('/config', async (_req, res) => {
    const config = deps.config()
    const problems = deps.checkConfig ? await deps.checkConfig() : null
    // Secret.toJSON prints <secret>: serialising is the masking, so nothing secret can slip through.
    res.json({ config: JSON.parse(JSON.stringify(config)) as unknown, notices: config.notices, fileProblems: problems })
  })
  return router
}

// ---------------------------------------------------------------- overview

interface OutputSummary {
  output: string
  kind: string | null
  enabled: boolean
  sent: number
  failed: number
  dead: number
  inFlight: number
  queue: { waiting: number; delayed: number; active: number } | null
  oldestWaitingAt: Date | null
  lastError: { message: string; at: Date } | null
}

async function overview(deps: ConsoleDependencies, now: Date) {
  const since = new Date(now.getTime() - 24 * HOUR_MS)
  const { db } = deps
  const scanRows = await db
    .selectFrom('scans')
    .select(['outcome', sql<number>`count(*)::int`.as('n')])
    .where('received_at', '>=', since)
    .groupBy('outcome')
    .execute()
  const deliveryRows = await db
    .selectFrom('deliveries')
    .select(['output', 'kind', 'status', sql<number>`count(*)::int`.as('n')])
    .where('created_at', '>=', since)
    .groupBy(['output', 'kind', 'status'])
    .execute()
  // What waits is counted whenever it was created: an old pending row is the one to worry about.
  const waitingRows = await db
    .selectFrom('deliveries')
    .select(['output', sql<Date>`min(created_at)`.as('oldest')])
    .where('status', 'in', ['pending', 'sending'])
    .groupBy('output')
    .execute()
  const errorRows = await db
    .selectFrom('deliveries')
    .distinctOn('output')
    .select(['output', 'last_error', 'updated_at'])
    .where('last_error', 'is not', null)
    .where('updated_at', '>=', since)
    .orderBy('output')
    .orderBy('updated_at', 'desc')
    .execute()
  const hourly = await sql<{ hour: Date; scans: number; deliveries: number; sent: number; latency_ms: number | null }>`
    with hours as (select generate_series(date_trunc('hour', ${since}::timestamptz), date_trunc('hour', ${now}::timestamptz), interval '1 hour') as hour),
    s as (select date_trunc('hour', received_at) as hour, count(*)::int as n from scans where received_at >= ${since} group by 1),
    d as (select date_trunc('hour', created_at) as hour, count(*)::int as n from deliveries where created_at >= ${since} and batch_id is null group by 1),
    l as (select date_trunc('hour', sent_at) as hour, count(*)::int as n, avg(extract(epoch from (sent_at - created_at)) * 1000)::float8 as ms
          from deliveries where sent_at >= ${since} and status = 'sent' group by 1)
    select hours.hour, coalesce(s.n, 0) as scans, coalesce(d.n, 0) as deliveries, coalesce(l.n, 0) as sent, l.ms as latency_ms
    from hours left join s using (hour) left join d using (hour) left join l using (hour) order by hours.hour`.execute(db)

  const config = deps.config()
  const outputs = new Map<string, OutputSummary>()
  const summary = (output: string): OutputSummary => {
    let entry = outputs.get(output)
    if (!entry) {
      const integration = config.integrations.find((i) => i.name === output)
      entry = {
        output,
        kind: integration?.kind ?? null,
        enabled: integration?.enabled ?? false,
        sent: 0,
        failed: 0,
        dead: 0,
        inFlight: 0,
        queue: null,
        oldestWaitingAt: null,
        lastError: null,
      }
      outputs.set(output, entry)
    }
    return entry
  }
  for (const integration of config.integrations) if (integration.enabled) summary(integration.name)
  const deliveries = Object.fromEntries(STATUSES.map((status) => [status, 0])) as Record<DeliveryStatus, number>
  for (const row of deliveryRows) {
    deliveries[row.status] += row.n
    const entry = summary(row.output)
    entry.kind ??= row.kind
    if (row.status === 'sent' || row.status === 'failed' || row.status === 'dead') entry[row.status] += row.n
    else entry.inFlight += row.n
  }
  for (const row of waitingRows) summary(row.output).oldestWaitingAt = row.oldest
  for (const row of errorRows) summary(row.output).lastError = { message: row.last_error!, at: row.updated_at }
  await Promise.all([...outputs.values()].map(async (entry) => (entry.queue = await queueDepth(deps, entry.output))))

  const scans = Object.fromEntries(OUTCOMES.map((outcome) => [outcome, 0])) as Record<(typeof OUTCOMES)[number], number>
  for (const row of scanRows) scans[row.outcome] += row.n
  return {
    since,
    until: now,
    scans: { ...scans, total: scanRows.reduce((sum, row) => sum + row.n, 0) },
    deliveries: { ...deliveries, total: deliveryRows.reduce((sum, row) => sum + row.n, 0) },
    outputs: [...outputs.values()].sort((a, b) => a.output.localeCompare(b.output)),
    hourly: hourly.rows.map((row) => ({
      hour: row.hour,
      scans: row.scans,
      deliveries: row.deliveries,
      sent: row.sent,
      latencyMs: row.latency_ms === null ? null : Math.round(row.latency_ms),
    })),
  }
}

async function queueDepth(deps: ConsoleDependencies, output: string): Promise<OutputSummary['queue']> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), QUEUE_COUNT_TIMEOUT_MS)))
  try {
    const counts = deps.queues
      .queue(output)
      .getJobCounts('waiting', 'prioritized', 'delayed', 'active')
      .then((c) => ({ waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), delayed: c.delayed ?? 0, active: c.active ?? 0 }))
      .catch(() => null)
    return await Promise.race([counts, timeout])
  } finally {
    clearTimeout(timer)
  }
}

// ---------------------------------------------------------------- scan search

interface ScanQuery {
  image?: string
  registry?: string
  outcome?: (typeof OUTCOMES)[number]
  from?: Date
  to?: Date
  page: number
  pageSize: number
}

function scanQuery(query: Record<string, unknown>): ScanQuery | string {
  const text = (name: string) => (typeof query[name] === 'string' && query[name] !== '' ? query[name] : undefined)
  const result: ScanQuery = { page: 1, pageSize: 50 }
  const image = text('image')
  const registry = text('registry')
  if (image) result.image = image
  if (registry) result.registry = registry
  const outcome = text('outcome')
  if (outcome !== undefined) {
    if (!OUTCOMES.includes(outcome as ScanQuery['outcome'] & string)) return `outcome must be one of ${OUTCOMES.join(', ')}`
    result.outcome = outcome as ScanQuery['outcome']
  }
  for (const name of ['from', 'to'] as const) {
    const value = text(name)
    if (value === undefined) continue
    const date = new Date(value)
    if (Number.isNaN(date.getTime())) return `${name} must be an ISO 8601 time, e.g. 2026-11-26T10:00:00Z`
    result[name] = date
  }
  for (const [name, max] of [
    ['page', 1_000_000],
    ['pageSize', 200],
  ] as const) {
    const value = text(name)
    if (value === undefined) continue
    const number = Number(value)
    if (!Number.isInteger(number) || number < 1 || number > max) return `${name} must be a whole number from 1 to ${max}`
    result[name] = number
  }
  return result
}

// LIKE treats % and _ as wildcards; a search for "my_app" means the underscore itself.
function contains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

async function searchScans(deps: ConsoleDependencies, q: ScanQuery) {
  let query = deps.db.selectFrom('scans')
  if (q.image) query = query.where('image', 'ilike', contains(q.image))
  if (q.registry) query = query.where('registry', 'ilike', contains(q.registry))
  if (q.outcome) query = query.where('outcome', '=', q.outcome)
  if (q.from) query = query.where('received_at', '>=', q.from)
  if (q.to) query = query.where('received_at', '<', q.to)
  const [{ total }] = [await query.select(sql<number>`count(*)::int`.as('total')).executeTakeFirstOrThrow()]
  const rows = await query
    .select([
      'id',
      'source',
      'registry',
      'image',
      'digest',
      'outcome',
      'received_at',
      sql<{ added: number; fixed: number } | null>`diff - 'addedFindings' - 'fixedFindings' - 'bySeverity'`.as('diff'),
    ])
    .orderBy('received_at', 'desc')
    .orderBy('id')
    .limit(q.pageSize)
    .offset((q.page - 1) * q.pageSize)
    .execute()
  const counts =
    rows.length === 0
      ? []
      : await deps.db
          .selectFrom('deliveries')
          .select(['scan_id', 'status', sql<number>`count(*)::int`.as('n')])
          .where(
            'scan_id',
            'in',
            rows.map((row) => row.id),
          )
          .groupBy(['scan_id', 'status'])
          .execute()
  return {
    total,
    page: q.page,
    pageSize: q.pageSize,
    scans: rows.map((row) => ({
      id: row.id,
      source: row.source,
      registry: row.registry,
      image: row.image,
      digest: row.digest,
      outcome: row.outcome,
      receivedAt: row.received_at,
      added: row.diff?.added ?? null,
      fixed: row.diff?.fixed ?? null,
      deliveries: Object.fromEntries(counts.filter((c) => c.scan_id === row.id).map((c) => [c.status, c.n])),
    })),
  }
}

// ---------------------------------------------------------------- scan detail

function toDiff(stored: StoredDiff | null): ScanDiff | undefined {
  if (!stored) return undefined
  const added = unpackFindings(stored.addedFindings)
  const fixed = unpackFindings(stored.fixedFindings)
  return { added, fixed, addedBySeverity: countBySeverity(added), fixedBySeverity: countBySeverity(fixed) }
}

async function scanDetail(deps: ConsoleDependencies, id: string) {
  const view = await getScanView(deps.db, id)
  if (!view) return undefined
  const [stored] = await getScansForDelivery(deps.db, [id])
  const deliveries = await listDeliveries(deps.db, { scan: id })
  const diff = toDiff(stored?.diff ?? null)
  let scan: Scan | undefined
  let parseError: string | null = null
  if (stored) {
    try {
      scan = parseScanBody(Buffer.from(stored.rawBody, 'utf8'), stored.source).scan
    } catch (error) {
      parseError = `the stored body could not be parsed again: ${(error as Error).message}`
    }
  }
  const config = deps.config()
  return {
    scan: view,
    counts: scan?.counts ?? null,
    findings: scan ? scan.findings.map(findingView) : [],
    parseError,
    diff: diff ? { added: diff.added.map(findingView), fixed: diff.fixed.map(findingView) } : null,
    deliveries,
    integrations: scan && stored ? explain(config, scan, stored.outcome, stored.rawBody, diff, deliveries) : [],
  }
}

function findingView(finding: Finding) {
  return {
    vulnerability: finding.vulnerability,
    severity: finding.severity,
    resource: finding.resource,
    resourceVersion: finding.resourceVersion,
    fixVersion: finding.fixVersion,
    title: finding.title ?? null,
    link: finding.link ?? null,
  }
}

/**
 * For every enabled integration of the running config: the policy decision (the same routing as
 * ingest and `postee explain`), the ledger rows it produced, and a preview of its message.
 */
function explain(
  config: Config,
  scan: Scan,
  outcome: 'new' | 'changed' | 'unchanged',
  rawBody: string,
  diff: ScanDiff | undefined,
  deliveries: readonly DeliveryView[],
) {
  return routeScan(config.integrations, scan, outcome).map(({ integration, decision }) => {
    const own = deliveries.filter((d) => d.output === integration.name)
    const base = { name: integration.name, kind: integration.kind, deliveries: own.map((d) => d.id) }
    if (!decision.send)
      return { ...base, send: false as const, key: decision.key, reason: decision.reason, preview: null, previewNote: null }
    const held = isAggregated(integration.aggregation)
    return {
      ...base,
      send: true as const,
      held,
      key: null,
      reason: null,
      ...preview(integration, config.common.aquaServer, scan, rawBody, diff),
    }
  })
}

type Preview = { preview: { format: string; body: string } | null; previewNote: string | null }

// The dispatcher's outputs build the exact wire body (with per-output limits and options); ingest
// cannot load them, so the console renders with the same shared renderers and default limits.
const APPROXIMATE = 'rendered by ingest with the shared renderers and default size limits; the dispatcher may trim differently'

function preview(
  integration: Integration,
  aquaServer: string | undefined,
  scan: Scan,
  rawBody: string,
  diff: ScanDiff | undefined,
): Preview {
  const report = () => [buildReport({ scan, diff }, { aquaServer })]
  try {
    switch (integration.kind) {
      case 'webhook':
        return { preview: { format: 'the original payload (JSON)', body: pretty(rawBody) }, previewNote: null }
      case 'slack':
        return {
          preview: { format: 'Slack Block Kit message', body: JSON.stringify(renderSlack(report()), null, 2) },
          previewNote: APPROXIMATE,
        }
      case 'teams':
        return {
          preview: {
            format: `Teams ${integration.format} card`,
            body: JSON.stringify(renderTeams(report(), { format: integration.format }), null, 2),
          },
          previewNote: APPROXIMATE,
        }
      case 'email': {
        const html = renderHtml(report())
        return { preview: { format: 'email (subject and HTML body)', body: JSON.stringify(html, null, 2) }, previewNote: APPROXIMATE }
      }
      case 'jira':
        return {
          preview: { format: 'Jira issue (wiki markup)', body: JSON.stringify(renderJiraWiki(report()), null, 2) },
          previewNote: APPROXIMATE,
        }
      case 'splunk':
        return {
          preview: { format: 'Splunk HEC event', body: JSON.stringify(renderSplunkEvent(report()), null, 2) },
          previewNote: APPROXIMATE,
        }
      case 'serviceNow':
        return { preview: { format: 'ServiceNow incident text', body: renderText(report()) }, previewNote: APPROXIMATE }
      default:
        return { preview: null, previewNote: `preview not available for ${(integration as Integration).kind}: run postee explain for it` }
    }
  } catch (error) {
    return { preview: null, previewNote: `preview not available: the renderer failed (${(error as Error).message})` }
  }
}

function pretty(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json), null, 2)
  } catch {
    return json
  }
}
