/**
 * The chaos run: two ingest and three dispatcher processes (the built services, under the images'
 * heap limit) on a Redis of their own and behind a Postgres proxy of their own, a webhook sink
 * that records every delivery, a steady stream of distinct scans retried as Aqua would, and faults
 * injected on a fixed schedule: SIGKILLed processes (restarted after a moment, as an orchestrator
 * would), Redis killed and restarted empty, Postgres cut and partitioned. At the end every
 * acknowledged scan must reach every output. `runChaos` returns the counts; `formatReport` prints
 * them. Used by `pnpm chaos` (chaos/run.ts) and services/dispatcher/test/chaos.e2e.test.ts.
 */
import { parseArgs } from 'node:util'
import pg from 'pg'
import { DISPATCHER_ENTRY, INGEST_ENTRY, createTestDatabase, freePort, startOwnRedis, writeConfig } from '@postee/testkit'
import { FaultProxy } from './fault-proxy.js'
import { sendScans, type SenderResult } from './sender.js'
import { WebhookSink } from './sink.js'
import { Slot, type ExitRecord } from './supervisor.js'

/** A fault of the schedule. */
export type FaultStep =
  | { readonly kind: 'kill'; readonly slots: readonly string[] }
  | { readonly kind: 'redis-restart-empty'; readonly downMs: number }
  | { readonly kind: 'postgres-cut'; readonly downMs: number }
  | { readonly kind: 'postgres-partition'; readonly downMs: number }

/** How long, how hard and with which faults a run goes. */
export interface ChaosProfile {
  readonly name: string
  /** How long scans are sent (and faults injected). */
  readonly loadMs: number
  /** New scans per second. */
  readonly rate: number
  /** Requests in flight at most (32 or fewer). */
  readonly concurrency: number
  /** The faults, in order, repeated until the load ends. */
  readonly faults: readonly FaultStep[]
  /** Quiet time between two faults. */
  readonly faultGapMs: number
  /** After a SIGKILL, how long before the orchestrator starts the process again. */
  readonly restartDelayMs: number
  /** How long to wait, after the load, for every acknowledged scan to be delivered. */
  readonly settleTimeoutMs: number
}

const OUTPUTS = ['hook-a', 'hook-b'] as const
const INGESTS = ['ingest-1', 'ingest-2'] as const
const DISPATCHERS = ['dispatcher-1', 'dispatcher-2', 'dispatcher-3'] as const
const DRAIN_GRACE_MS = 3_000

/** The CI profile: every kind of fault at least once in well under two minutes. */
export const SHORT_PROFILE: ChaosProfile = {
  name: 'short',
  loadMs: 36_000,
  rate: 10,
  concurrency: 16,
  faults: [
    { kind: 'kill', slots: ['dispatcher-1'] },
    { kind: 'postgres-cut', downMs: 3_000 },
    { kind: 'kill', slots: ['ingest-1'] },
    { kind: 'redis-restart-empty', downMs: 2_000 },
    { kind: 'postgres-partition', downMs: 4_000 },
    { kind: 'kill', slots: ['dispatcher-2', 'ingest-2'] },
    { kind: 'kill', slots: ['dispatcher-3'] },
  ],
  faultGapMs: 1_500,
  restartDelayMs: 1_000,
  settleTimeoutMs: 40_000,
}

/** The local profile (`pnpm chaos --long`): a few minutes of every fault, more load, longer outages. */
export const LONG_PROFILE: ChaosProfile = {
  name: 'long',
  loadMs: 240_000,
  rate: 20,
  concurrency: 32,
  faults: [
    { kind: 'kill', slots: ['dispatcher-1'] },
    { kind: 'postgres-cut', downMs: 5_000 },
    { kind: 'kill', slots: ['ingest-1'] },
    { kind: 'redis-restart-empty', downMs: 4_000 },
    { kind: 'kill', slots: ['dispatcher-2', 'dispatcher-3'] },
    { kind: 'postgres-partition', downMs: 8_000 },
    { kind: 'kill', slots: ['ingest-2', 'dispatcher-1'] },
    { kind: 'postgres-cut', downMs: 1_000 },
    { kind: 'kill', slots: ['dispatcher-3'] },
    { kind: 'redis-restart-empty', downMs: 500 },
    { kind: 'kill', slots: ['ingest-1', 'ingest-2'] },
    { kind: 'postgres-partition', downMs: 3_000 },
  ],
  faultGapMs: 4_000,
  restartDelayMs: 1_500,
  settleTimeoutMs: 180_000,
}

/** A fault as it happened, in milliseconds since the run started. */
export interface FaultEvent {
  readonly kind: FaultStep['kind'] | 'died on its own'
  readonly target: string
  readonly start: number
  readonly end: number
}

/** Repeats of one delivery at one output. */
export interface DuplicateCount {
  readonly output: string
  /** Requests beyond the first for the same `X-Postee-Delivery` id. */
  readonly repeats: number
  /**
   * Repeats with a dispatcher SIGKILL or death, or a Postgres cut or partition, between the
   * previous copy's 200 (less 1 s) and the repeat: the documented at-least-once case (the target
   * took the request, its 200 was not recorded).
   */
  readonly documented: number
  /** The same scan delivered again under another delivery id (never expected). */
  readonly sameScanOtherId: number
  /** The repeats no fault explains: delivery id and the times (s) of its copies. */
  readonly unexplained: readonly string[]
}

/** Everything a run counted. */
export interface ChaosReport {
  readonly profile: ChaosProfile
  readonly seconds: { readonly load: number; readonly settle: number; readonly total: number }
  readonly settled: boolean
  readonly scansSent: number
  readonly attempts: number
  readonly acknowledged: number
  readonly gaveUp: number
  readonly unsent: number
  readonly expectedDeliveries: number
  readonly delivered: number
  readonly lost: number
  /** The first lost deliveries, with what the ledger says of them. */
  readonly lostSamples: readonly string[]
  readonly deliveredUnacknowledged: number
  readonly duplicates: readonly DuplicateCount[]
  readonly nonAccepted: ReadonlyMap<string, number>
  /** 202 answers to a new scan that did not list every output. */
  readonly oddAnswers: number
  readonly ledger: ReadonlyMap<string, number>
  readonly faults: readonly FaultEvent[]
  readonly unexpectedExits: readonly ExitRecord[]
  /** Processes that did not end within the drain grace (plus 5 s) of SIGTERM, or ended with a code other than 0. */
  readonly badShutdowns: readonly string[]
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function config(sinkUrl: string): string {
  return OUTPUTS.map(
    (name) =>
      `- name: ${name}\n  type: webhook\n  enable: true\n  url: ${sinkUrl}/${name}\n  timeout: 5s\n  retries: 30\n  backoff: 200ms\n  backoff-max: 2s\n`,
  ).join('')
}

/** A small Aqua scan of its own image (so every scan is new and planned to every output). */
function scanBody(runId: string, n: number): { image: string; body: string } {
  const image = `chaos/${runId}-${n}:1.0`
  const digest = `sha256:${n.toString(16).padStart(64, '0')}`
  const body = {
    image,
    registry: 'Aqua',
    digest,
    resources: [
      {
        resource: { format: 'apk', name: 'openssl', version: '1.1.1k-r0', arch: 'x86_64' },
        scanned: true,
        vulnerabilities: [
          { name: 'CVE-2021-3711', aqua_severity: 'critical', fix_version: '1.1.1l-r0' },
          { name: `CVE-2099-${10000 + (n % 50000)}`, aqua_severity: 'high', fix_version: '' },
        ],
      },
    ],
    vulnerability_summary: { total: 2, critical: 1, high: 1, medium: 0, low: 0, negligible: 0 },
  }
  return { image, body: JSON.stringify(body) }
}

/** Writes progress to stderr, so a run (and a CI log) shows where it is. */
export type Progress = (line: string) => void

/** Runs one profile end to end and counts; cleans up after itself whatever happens. */
export async function runChaos(profile: ChaosProfile, progress: Progress = () => undefined): Promise<ChaosReport> {
  if (profile.concurrency > 32)
    throw new Error(`concurrency ${profile.concurrency} is above the 32 requests in flight a sender keeps; lower it`)
  const t0 = Date.now()
  const clock = () => Date.now() - t0
  const say = (line: string) => progress(`[chaos ${(clock() / 1000).toFixed(1).padStart(6)} s] ${line}`)
  const runId = Date.now().toString(36)

  const database = await createTestDatabase()
  const cleanups: (() => Promise<unknown>)[] = [() => database.drop()]
  const slots = new Map<string, Slot>()
  try {
    const redis = await startOwnRedis()
    cleanups.unshift(() => redis.stop())
    const databaseUrl = new URL(database.url)
    const proxy = await new FaultProxy(databaseUrl.hostname, Number(databaseUrl.port || 5432)).start()
    cleanups.unshift(() => proxy.stop())
    const sink = await new WebhookSink(clock).start()
    cleanups.unshift(() => sink.stop())
    const proxiedUrl = new URL(database.url)
    proxiedUrl.host = `127.0.0.1:${proxy.port}`

    const env: Record<string, string> = {
      AQUAALERT_CFG: writeConfig(config(sink.url)),
      DATABASE_URL: proxiedUrl.toString(),
      REDIS_URL: redis.url,
      POSTEE_QUEUE_PREFIX: `chaos_${runId}`,
      AQUAALERT_TLS: 'off',
      POSTEE_LOG_LEVEL: 'info',
      // A killed dispatcher's jobs come back within 7 s; lost Redis jobs within 5 s. A lock much
      // shorter than 5 s expires under a starved event loop (2 cores, 5 services, the harness),
      // and the job is then sent twice by two live workers: a repeat no fault explains.
      POSTEE_LOCK_DURATION_MS: '5000',
      POSTEE_STALLED_INTERVAL_MS: '2000',
      POSTEE_RELAY_INTERVAL_MS: '500',
      POSTEE_RELAY_UNQUEUED_MS: '1000',
      POSTEE_RELAY_REQUEUE_MS: '5000',
      POSTEE_DRAIN_GRACE_MS: String(DRAIN_GRACE_MS),
      // The services get the images' flags (below) and nothing inherited from the caller's shell.
      NODE_OPTIONS: '',
    }
    const onExit = (exit: ExitRecord) => {
      if (exit.cause !== 'on its own') return
      const error = exit.stderrTail.find((line) => /^\w*Error\b|heap out of memory/.test(line.trim()))
      say(`${exit.slot} died on its own (${exit.signal ?? `exit ${exit.code}`})${error ? `: ${error.trim()}` : ''}`)
    }
    const slotOptions = { nodeArgs: ['--max-old-space-size=160'], restartDelayMs: profile.restartDelayMs, maxRestarts: 200, onExit }
    for (const name of INGESTS) {
      const port = await freePort()
      slots.set(
        name,
        new Slot(
          {
            ...slotOptions,
            name,
            entry: INGEST_ENTRY,
            env: { ...env, AQUAALERT_URL: `127.0.0.1:${port}` },
            url: `http://127.0.0.1:${port}`,
          },
          clock,
        ),
      )
    }
    for (const name of DISPATCHERS) {
      const port = await freePort()
      slots.set(
        name,
        new Slot(
          {
            ...slotOptions,
            name,
            entry: DISPATCHER_ENTRY,
            env: { ...env, POSTEE_DISPATCHER_HTTP: `127.0.0.1:${port}` },
            url: `http://127.0.0.1:${port}`,
          },
          clock,
        ),
      )
    }
    for (const slot of slots.values()) slot.start()
    for (const slot of slots.values()) {
      if (!(await slot.waitReady(30_000))) {
        const last = slot.exits.at(-1)
        throw new Error(
          `${slot.name} was not ready within 30 s${last ? `; it exited (${last.code ?? last.signal}):\n${[...last.stderrTail, ...last.stdoutTail].join('\n')}` : ''}`,
        )
      }
    }
    say(`up: ${[...slots.keys()].join(', ')}; Redis ${redis.url}; Postgres via proxy :${proxy.port}; sink ${sink.url}`)

    // Load and faults side by side.
    const faults: FaultEvent[] = []
    const loadStart = clock()
    const load = sendScans({
      ingestUrls: INGESTS.map((name) => slots.get(name)!.options.url),
      concurrency: profile.concurrency,
      rate: profile.rate,
      durationMs: profile.loadMs,
      maxScans: Math.ceil((profile.rate * profile.loadMs) / 1000),
      requestTimeoutMs: 10_000,
      maxAttempts: 40,
      giveUpAfterMs: profile.loadMs + 30_000,
      scan: (n) => scanBody(runId, n),
    })
    let redisDown = false
    const inject = async (step: FaultStep): Promise<void> => {
      const start = clock()
      if (step.kind === 'kill') {
        await Promise.all(step.slots.map((name) => slots.get(name)!.kill()))
        faults.push({ kind: 'kill', target: step.slots.join(' + '), start, end: clock() })
        say(`SIGKILL ${step.slots.join(', ')}`)
        await sleep(profile.restartDelayMs)
        for (const name of step.slots) slots.get(name)!.start()
        return
      }
      if (step.kind === 'redis-restart-empty') {
        say(`Redis killed for ${step.downMs} ms`)
        redisDown = true
        await redis.stop()
        await sleep(step.downMs)
        await redis.start()
        redisDown = false
      } else if (step.kind === 'postgres-cut') {
        say(`Postgres cut for ${step.downMs} ms`)
        proxy.cut()
        await sleep(step.downMs)
        proxy.heal()
      } else {
        say(`Postgres partitioned for ${step.downMs} ms`)
        proxy.partition()
        await sleep(step.downMs)
        proxy.heal()
      }
      faults.push({ kind: step.kind, target: step.kind.startsWith('redis') ? 'redis' : 'postgres', start, end: clock() })
    }
    const schedule = async (): Promise<void> => {
      // Bounded: at most one fault per gap over the load's duration.
      const maxSteps = Math.ceil(profile.loadMs / profile.faultGapMs)
      for (let i = 0; i < maxSteps; i++) {
        await sleep(profile.faultGapMs)
        if (clock() - loadStart >= profile.loadMs - profile.faultGapMs) return
        await inject(profile.faults[i % profile.faults.length]!)
      }
    }
    const [sent] = await Promise.all([load, schedule()])
    const loadEnd = clock()
    say(`load over: ${sent.scans} scans, ${sent.acknowledged.size} acknowledged, ${sent.gaveUp.length} given up, ${sent.unsent} never sent`)

    // Everything healed, every process running (restarted by its slot if it died on its own).
    proxy.heal()
    if (redisDown) await redis.start()
    for (const slot of slots.values()) slot.start()

    // Wait until every acknowledged scan reached every output and the ledger holds nothing in flight.
    const ledgerCounts = async (): Promise<Map<string, number>> => {
      const client = new pg.Client({ connectionString: database.url, connectionTimeoutMillis: 5_000 })
      await client.connect()
      try {
        const { rows } = await client.query<{ status: string; n: string }>('select status, count(*) as n from deliveries group by status')
        return new Map(rows.map((r) => [r.status, Number(r.n)]))
      } finally {
        await client.end()
      }
    }
    const received = (): Map<string, Set<string>> => {
      const byOutput = new Map<string, Set<string>>(OUTPUTS.map((o) => [o, new Set<string>()]))
      for (const receipt of sink.receipts) for (const image of receipt.images) byOutput.get(receipt.output)?.add(image)
      return byOutput
    }
    const missing = (): number => {
      const got = received()
      let count = 0
      for (const image of sent.acknowledged.keys()) for (const output of OUTPUTS) if (!got.get(output)!.has(image)) count++
      return count
    }
    let settled = false
    let ledger = new Map<string, number>()
    const settleDeadline = Date.now() + profile.settleTimeoutMs
    let lastSay = 0
    while (Date.now() < settleDeadline) {
      ledger = await ledgerCounts()
      const inFlight = (ledger.get('pending') ?? 0) + (ledger.get('sending') ?? 0) + (ledger.get('buffered') ?? 0)
      const left = missing()
      if (left === 0 && inFlight === 0) {
        settled = true
        break
      }
      if (Date.now() - lastSay > 5_000) {
        say(`waiting: ${left} acknowledged deliveries not at the sink yet, ledger ${JSON.stringify(Object.fromEntries(ledger))}`)
        lastSay = Date.now()
      }
      await sleep(1_000)
    }
    const settleEnd = clock()
    say(settled ? 'every acknowledged scan delivered' : `gave up waiting after ${profile.settleTimeoutMs / 1000} s`)

    // Stop as an orchestrator would; a process that does not end in time is killed and noted.
    const unexpectedExits = [...slots.values()].flatMap((slot) => slot.exits.filter((exit) => exit.cause === 'on its own'))
    const badShutdowns: string[] = []
    await Promise.all(
      [...slots.values()].map(async (slot) => {
        const result = await slot.stop(DRAIN_GRACE_MS + 5_000)
        if (!result.inTime) badShutdowns.push(`${slot.name}: still running ${(DRAIN_GRACE_MS + 5_000) / 1000} s after SIGTERM (killed)`)
        else if (result.code !== 0 && result.code !== null) badShutdowns.push(`${slot.name}: exited ${result.code} after SIGTERM`)
      }),
    )
    ledger = await ledgerCounts()
    const lostSamples = settled ? [] : await describeLost(database.url, sent, received())

    for (const exit of unexpectedExits)
      if (exit.slot.startsWith('dispatcher')) faults.push({ kind: 'died on its own', target: exit.slot, start: exit.at, end: exit.at })
    return {
      profile,
      seconds: { load: (loadEnd - loadStart) / 1000, settle: (settleEnd - loadEnd) / 1000, total: clock() / 1000 },
      settled,
      scansSent: sent.scans,
      attempts: sent.attempts,
      acknowledged: sent.acknowledged.size,
      gaveUp: sent.gaveUp.length,
      unsent: sent.unsent,
      expectedDeliveries: sent.acknowledged.size * OUTPUTS.length,
      delivered: sent.acknowledged.size * OUTPUTS.length - missing(),
      lost: missing(),
      lostSamples,
      deliveredUnacknowledged: countUnacknowledged(sink.receipts, sent),
      duplicates: countDuplicates(sink.receipts, faults),
      nonAccepted: sent.nonAccepted,
      oddAnswers: [...sent.acknowledged.values()].filter((a) => a.outcome === 'new' && OUTPUTS.some((o) => !a.outputs.includes(o))).length,
      ledger,
      faults,
      unexpectedExits,
      badShutdowns,
    }
  } finally {
    await Promise.all([...slots.values()].map((slot) => slot.stop(2_000)))
    for (const cleanup of cleanups) await cleanup().catch(() => undefined)
  }
}

/** What the ledger says of the first few acknowledged deliveries the sink never got. */
async function describeLost(databaseUrl: string, sent: SenderResult, got: Map<string, Set<string>>): Promise<string[]> {
  const lost: { image: string; output: string }[] = []
  for (const image of sent.acknowledged.keys())
    for (const output of OUTPUTS) if (!got.get(output)!.has(image) && lost.length < 10) lost.push({ image, output })
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 })
  await client.connect()
  try {
    return await Promise.all(
      lost.map(async ({ image, output }) => {
        const { rows } = await client.query<{ status: string; attempts: number; last_error: string | null }>(
          'select d.status, d.attempts, d.last_error from deliveries d join scans s on s.id = d.scan_id where s.image = $1 and d.output = $2',
          [image, output],
        )
        const ledger = rows
          .map((r) => `${r.status}, ${r.attempts} attempts${r.last_error ? `, ${r.last_error.slice(0, 120)}` : ''}`)
          .join('; ')
        return `${image} → ${output}: ledger ${ledger || 'has no such delivery'}`
      }),
    )
  } finally {
    await client.end()
  }
}

function countUnacknowledged(receipts: readonly { images: readonly string[] }[], sent: SenderResult): number {
  const images = new Set<string>()
  for (const receipt of receipts) for (const image of receipt.images) if (!sent.acknowledged.has(image)) images.add(image)
  return images.size
}

const DOCUMENTED: ReadonlySet<FaultEvent['kind']> = new Set(['kill', 'died on its own', 'postgres-cut', 'postgres-partition'])

/** Counts repeats per output and decides, for each, whether a fault explains it (see `DuplicateCount`). */
export function countDuplicates(
  receipts: readonly { output: string; deliveryId: string; images: readonly string[]; at: number }[],
  faults: readonly FaultEvent[],
): DuplicateCount[] {
  return OUTPUTS.map((output) => {
    const byId = new Map<string, number[]>()
    const idsByImage = new Map<string, Set<string>>()
    for (const receipt of receipts) {
      if (receipt.output !== output) continue
      byId.set(receipt.deliveryId, [...(byId.get(receipt.deliveryId) ?? []), receipt.at])
      for (const image of receipt.images) idsByImage.set(image, (idsByImage.get(image) ?? new Set()).add(receipt.deliveryId))
    }
    let repeats = 0
    let documented = 0
    const unexplained: string[] = []
    for (const [id, times] of byId) {
      for (let i = 1; i < times.length; i++) {
        repeats++
        const from = times[i - 1]! - 1_000
        const to = times[i]!
        const explained = faults.some(
          (fault) =>
            DOCUMENTED.has(fault.kind) &&
            (fault.kind === 'kill' || fault.kind === 'died on its own' ? fault.target.includes('dispatcher') : true) &&
            fault.start <= to &&
            fault.end >= from,
        )
        if (explained) documented++
        else unexplained.push(`${output} ${id}: copies at ${times.map((t) => (t / 1000).toFixed(1)).join(', ')} s`)
      }
    }
    const sameScanOtherId = [...idsByImage.values()].filter((ids) => ids.size > 1).length
    return { output, repeats, documented, sameScanOtherId, unexplained }
  })
}

/** The report as Markdown: the figures table, the faults, and every process that died on its own with its last words. */
export function formatReport(report: ChaosReport): string {
  const counts = (map: ReadonlyMap<string, number>) =>
    [...map]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ') || 'none'
  const faultCounts = new Map<string, number>()
  for (const fault of report.faults) {
    const key =
      fault.kind === 'kill' ? `SIGKILL ${fault.target}` : fault.kind === 'died on its own' ? `${fault.target} died on its own` : fault.kind
    faultCounts.set(key, (faultCounts.get(key) ?? 0) + 1)
  }
  const dupes = report.duplicates
    .map(
      (d) =>
        `${d.output}: ${d.repeats} (${d.documented} documented case${d.documented === 1 ? '' : 's'}, ${d.repeats - d.documented} other; same scan under another id: ${d.sameScanOtherId})`,
    )
    .join('; ')
  const p = report.profile
  const lines = [
    `Chaos run, ${p.name} profile: ${p.loadMs / 1000} s of load at ${p.rate} scans/s (≤ ${p.concurrency} in flight) over 2 ingests and 3 dispatchers, ${OUTPUTS.length} webhook outputs; a fault every ${p.faultGapMs / 1000} s; ${report.seconds.total.toFixed(0)} s in all (settled in ${report.seconds.settle.toFixed(0)} s${report.settled ? '' : ', NOT settled'}).`,
    '',
    '| measure | count |',
    '|---|---|',
    `| scans sent (distinct images) / attempts | ${report.scansSent} / ${report.attempts} |`,
    `| acknowledged scans (202) | ${report.acknowledged} |`,
    `| scans the sender gave up on (no 202 after its retries) | ${report.gaveUp} |`,
    `| scans never sent (the sender, held up by retries, was still behind at its deadline) | ${report.unsent} |`,
    `| deliveries expected (acknowledged × outputs) | ${report.expectedDeliveries} |`,
    `| delivered | ${report.delivered} |`,
    `| **lost** (acknowledged, never delivered) | **${report.lost}** |`,
    `| delivered scans that were never acknowledged (committed, answer lost) | ${report.deliveredUnacknowledged} |`,
    `| duplicates per output | ${dupes} |`,
    `| non-202 answers by status | ${counts(report.nonAccepted)} |`,
    `| 202 to a new scan not listing every output | ${report.oddAnswers} |`,
    `| ledger at the end | ${counts(report.ledger)} |`,
    `| **processes that died on their own** | **${report.unexpectedExits.length}**${report.unexpectedExits.length ? ` (${counts(countBy(report.unexpectedExits.map((e) => e.slot)))})` : ''} |`,
    `| processes not stopping cleanly on SIGTERM | ${report.badShutdowns.length} |`,
    `| faults injected | ${counts(faultCounts)} |`,
  ]
  for (const sample of report.lostSamples) lines.push(`- lost: ${sample}`)
  for (const line of report.badShutdowns) lines.push(`- shutdown: ${line}`)
  for (const line of report.duplicates.flatMap((d) => d.unexplained)) lines.push(`- repeat no fault explains: ${line}`)
  if (report.faults.length > 0)
    lines.push(
      `- fault times (s): ${report.faults.map((f) => `${f.kind === 'kill' ? `SIGKILL ${f.target}` : f.kind === 'died on its own' ? `${f.target} died` : f.kind} ${(f.start / 1000).toFixed(1)}–${(f.end / 1000).toFixed(1)}`).join('; ')}`,
    )
  for (const exit of report.unexpectedExits) {
    lines.push(
      '',
      `${exit.slot} (pid ${exit.pid}) died on its own at ${(exit.at / 1000).toFixed(1)} s after ${(exit.uptimeMs / 1000).toFixed(1)} s up: ${exit.signal ?? `exit ${exit.code}`}`,
    )
    // The error and its 'Emitted …' lines, without stack frames; the JSON log's last lines if stderr is empty.
    const stderr = exit.stderrTail.filter((line) => !/^\s+at |^\s+\[\.\.\. lines matching/.test(line))
    const words = stderr.length > 0 ? stderr.slice(-12) : exit.stdoutTail.slice(-6)
    lines.push(...words.map((line) => `    ${line}`))
  }
  return lines.join('\n')
}

function countBy(keys: readonly string[]): Map<string, number> {
  const map = new Map<string, number>()
  for (const key of keys) map.set(key, (map.get(key) ?? 0) + 1)
  return map
}

/**
 * `pnpm chaos [--long]`: runs a profile, prints progress on stderr and the report on stdout, and
 * returns the exit code: 1 when an acknowledged scan was lost or a process died on its own.
 */
export async function runFromCommandLine(argv: readonly string[]): Promise<number> {
  let values: { long?: boolean }
  try {
    values = parseArgs({ args: [...argv], options: { long: { type: 'boolean', default: false } } }).values
  } catch (error) {
    process.stderr.write(
      `${(error as Error).message}\nusage: pnpm chaos [--long]   (the short profile, about a minute; --long: a few minutes)\n`,
    )
    return 2
  }
  const report = await runChaos(values.long ? LONG_PROFILE : SHORT_PROFILE, (line) => process.stderr.write(`${line}\n`))
  process.stdout.write(`${formatReport(report)}\n`)
  return report.lost === 0 && report.unexpectedExits.length === 0 ? 0 : 1
}
