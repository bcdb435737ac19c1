/**
 * The benchmark: `pnpm bench` (after `pnpm build`). Starts its own ingest and dispatcher
 * processes against local Postgres and Redis (a fresh database and queue prefix per scenario), a
 * fast HTTP sink as the only output, and a closed-loop load generator with keep-alive. Prints a
 * table and writes it to bench/results/<date>.md with the machine and each service's peak RSS.
 *
 * Options: --n N (scans per small scenario, default 4000), --large N (default 1000),
 * --concurrency C (default 32), --only a,b (scenario names), --no-history (skip the 1,000,000-row
 * scenarios), BENCH_OUTPUT_KEYS="concurrency: 64" (extra cfg.yaml keys for every sink output).
 * DATABASE_URL (an admin connection; default postgres://postgres@127.0.0.1:5432/postgres)
 * and REDIS_URL as for the tests.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { createMigratedDatabase, dropRedisPrefix, fixturePath } from '@postee/testkit'
import { alertBody, startAlertmanager } from './alertmanager.js'
import { closedLoop, nowMs, percentile } from './load.js'
import { PORTS, machineBusyMs, peakRssMb, processCpuMs, startServices, startSink } from './services.js'

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '4000' },
    large: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '32' },
    only: { type: 'string' },
    'no-history': { type: 'boolean', default: false },
  },
})
const N = Number(args.n)
const N_LARGE = Number(args.large)
const CONCURRENCY = Number(args.concurrency)
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const HISTORY_ROWS = 1_000_000

interface Scenario {
  readonly name: string
  readonly what: string
  readonly fixture: string
  readonly count: number
  readonly outputs: number
  readonly dispatcher: boolean
  readonly distinct: boolean
  readonly history: boolean
  /** Prometheus Alertmanager instead of our services: the yardstick the ratios are taken against. */
  readonly alertmanager?: boolean
}

const small = 'aqua-input.json'
const large = 'extracted/v1-scanservice_test.AshexPokemongoSource.json'
const SCENARIOS: Scenario[] = [
  {
    name: 'ingest',
    what: 'N new 10 KB scans, ingest only',
    fixture: small,
    count: N,
    outputs: 1,
    dispatcher: false,
    distinct: true,
    history: false,
  },
  {
    name: 'e2e',
    what: 'N new 10 KB scans, one webhook output',
    fixture: small,
    count: N,
    outputs: 1,
    dispatcher: true,
    distinct: true,
    history: false,
  },
  {
    name: 'alertmanager',
    what: 'N distinct alerts to Alertmanager 0.25, one webhook notification each',
    fixture: small,
    count: N,
    outputs: 1,
    dispatcher: true,
    distinct: true,
    history: false,
    alertmanager: true,
  },
  {
    name: 'fan-out',
    what: 'N/2 new scans, 5 webhook outputs each',
    fixture: small,
    count: Math.round(N / 2),
    outputs: 5,
    dispatcher: true,
    distinct: true,
    history: false,
  },
  {
    name: 'large',
    what: 'new 340 KB scans, one webhook output',
    fixture: large,
    count: N_LARGE,
    outputs: 1,
    dispatcher: true,
    distinct: true,
    history: false,
  },
  {
    name: 'unchanged',
    what: 'one 10 KB scan repeated, ingest only',
    fixture: small,
    count: N,
    outputs: 1,
    dispatcher: false,
    distinct: false,
    history: false,
  },
  {
    name: 'history-ingest',
    what: 'as ingest, 1,000,000 stored scans',
    fixture: small,
    count: N,
    outputs: 1,
    dispatcher: false,
    distinct: true,
    history: true,
  },
  {
    name: 'history-e2e',
    what: 'as e2e, 1,000,000 stored scans',
    fixture: small,
    count: N,
    outputs: 1,
    dispatcher: true,
    distinct: true,
    history: true,
  },
]

function config(sinkUrl: string, outputs: number): string {
  const extra = process.env.BENCH_OUTPUT_KEYS ? `  ${process.env.BENCH_OUTPUT_KEYS}\n` : ''
  return Array.from(
    { length: outputs },
    (_, i) => `- name: sink-${i + 1}\n  type: webhook\n  enable: true\n  url: ${sinkUrl}/sink-${i + 1}\n${extra}`,
  ).join('')
}

function bodies(scenario: Scenario, runId: string): Buffer[] {
  const json = JSON.parse(readFileSync(fixturePath(scenario.fixture), 'utf8')) as Record<string, unknown>
  if (!scenario.distinct) return Array.from({ length: scenario.count }, () => Buffer.from(JSON.stringify(json)))
  return Array.from({ length: scenario.count }, (_, i) => Buffer.from(JSON.stringify({ ...json, image: `bench/${runId}-${i}:1.0` })))
}

async function seedHistory(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  await client.query(`insert into scan_history (registry, image, digest, fingerprint, findings, disallowed, malware_count, sensitive_count, latest_scan_id, size_bytes, first_seen, last_seen)
    select 'Aqua', 'seed/image-' || g || ':1.0', 'sha256:' || md5(g::text), md5(g::text), '[]', false, 0, 0, gen_random_uuid(), 2,
           now() - make_interval(secs => g), now() - make_interval(secs => g)
    from generate_series(1, ${HISTORY_ROWS}) g`)
  await client.query('analyze scan_history')
  await client.end()
}

interface Row {
  readonly scenario: Scenario
  readonly acksPerSecond: number
  readonly ack: readonly number[]
  readonly delivered: number
  readonly expected: number
  readonly deliveriesPerSecond: number
  readonly e2e: readonly number[]
  readonly ingestRss: number
  readonly dispatcherRss: number
  readonly errors: number
  /** CPU ms per scan while the scenario ran: each service, the harness (load + sink), and the rest (Postgres, Redis, kernel). */
  readonly cpu: { readonly ingest: number; readonly dispatcher: number; readonly harness: number; readonly rest: number }
}

type Sink = Awaited<ReturnType<typeof startSink>>

/** Waits (up to two minutes) until the sink has seen every id, and returns the arrival times. */
async function awaitArrivals(sink: Sink, ids: Iterable<string>): Promise<Map<string, number>> {
  const wanted = [...ids]
  const deadline = Date.now() + 120_000
  let arrivals = await sink.arrivals()
  while (Date.now() < deadline && !wanted.every((id) => arrivals.has(id))) {
    await new Promise((resolve) => setTimeout(resolve, 200))
    arrivals = await sink.arrivals()
  }
  return arrivals
}

/** The same closed loop as `e2e`, against Alertmanager's `POST /api/v2/alerts`, one alert a request. */
async function runAlertmanager(scenario: Scenario, sink: Sink): Promise<Row> {
  const runId = Date.now().toString(36)
  const am = await startAlertmanager(sink.url, PORTS.alertmanager)
  try {
    const url = `${am.url}/api/v2/alerts`
    await closedLoop(
      url,
      Array.from({ length: 200 }, (_, i) => alertBody(`warm-${runId}-${i}`)),
      CONCURRENCY,
    )
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    sink.reset()
    const ids = Array.from({ length: scenario.count }, (_, i) => `${runId}-${i}`)
    const cpuBefore = {
      am: processCpuMs(am.child.pid!),
      harness: processCpuMs(process.pid) + processCpuMs(sink.pid),
      machine: machineBusyMs(),
    }
    const started = nowMs()
    const answers = await closedLoop(url, ids.map(alertBody), CONCURRENCY)
    const acked = nowMs()
    const sentAt = new Map(ids.flatMap((id, i) => (answers[i]!.status === 200 ? [[id, answers[i]!.sentAt] as const] : [])))
    const arrivals = await awaitArrivals(sink, sentAt.keys())
    const ours = [...sentAt].filter(([id]) => arrivals.has(id)).map(([id, sent]) => [sent, arrivals.get(id)!] as const)
    const spent = {
      am: processCpuMs(am.child.pid!) - cpuBefore.am,
      harness: processCpuMs(process.pid) + processCpuMs(sink.pid) - cpuBefore.harness,
      machine: machineBusyMs() - cpuBefore.machine,
    }
    const perScan = (ms: number) => ms / answers.length
    return {
      scenario,
      acksPerSecond: answers.length / ((acked - started) / 1000),
      ack: answers.map((a) => a.latencyMs),
      delivered: ours.length,
      expected: sentAt.size,
      deliveriesPerSecond: ours.length / ((Math.max(...ours.map(([, arrived]) => arrived)) - started) / 1000),
      e2e: ours.map(([sent, arrived]) => arrived - sent),
      ingestRss: peakRssMb(am.child.pid!),
      dispatcherRss: Number.NaN,
      errors: answers.filter((a) => a.status !== 200).length,
      cpu: {
        ingest: perScan(spent.am),
        dispatcher: 0,
        harness: perScan(spent.harness),
        rest: perScan(spent.machine - spent.am - spent.harness),
      },
    }
  } finally {
    await am.stop()
  }
}

async function run(scenario: Scenario, sink: Sink): Promise<Row> {
  if (scenario.alertmanager) return runAlertmanager(scenario, sink)
  const runId = `${Date.now().toString(36)}`
  const database = await createMigratedDatabase(ADMIN_URL, `postee_bench_${scenario.name.replace(/-/g, '_')}`)
  const prefix = `bench_${process.pid}_${runId}`
  if (scenario.history) await seedHistory(database.url)
  const services = await startServices({
    config: config(sink.url, scenario.outputs),
    databaseUrl: database.url,
    redisUrl: REDIS_URL,
    prefix,
    dispatcher: scenario.dispatcher,
  })
  try {
    const load = bodies(scenario, runId)
    // Warm up the processes' JIT and connection pools on other images first.
    await closedLoop(`http://127.0.0.1:${PORTS.ingest}/scan`, bodies({ ...scenario, count: 200 }, `warm${runId}`), CONCURRENCY)
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    sink.reset()
    const cpuBefore = {
      ingest: services.ingest.cpuMs(),
      dispatcher: services.dispatcher?.cpuMs() ?? 0,
      harness: processCpuMs(process.pid) + processCpuMs(sink.pid),
      machine: machineBusyMs(),
    }
    const started = nowMs()
    const answers = await closedLoop(`http://127.0.0.1:${PORTS.ingest}/scan`, load, CONCURRENCY)
    const acked = nowMs()
    const sentAt = new Map<string, number>()
    for (const answer of answers) {
      if (answer.status !== 202) continue
      for (const delivery of (JSON.parse(answer.body) as { deliveries: { id: string }[] }).deliveries)
        sentAt.set(delivery.id, answer.sentAt)
    }
    const arrivals = scenario.dispatcher ? await awaitArrivals(sink, sentAt.keys()) : new Map<string, number>()
    const ours = [...sentAt].filter(([id]) => arrivals.has(id)).map(([id, sent]) => [sent, arrivals.get(id)!] as const)
    const spent = {
      ingest: services.ingest.cpuMs() - cpuBefore.ingest,
      dispatcher: (services.dispatcher?.cpuMs() ?? 0) - cpuBefore.dispatcher,
      harness: processCpuMs(process.pid) + processCpuMs(sink.pid) - cpuBefore.harness,
      machine: machineBusyMs() - cpuBefore.machine,
    }
    const perScan = (ms: number) => ms / answers.length
    const lastArrival = Math.max(...ours.map(([, arrived]) => arrived))
    return {
      scenario,
      acksPerSecond: answers.length / ((acked - started) / 1000),
      ack: answers.map((a) => a.latencyMs),
      delivered: ours.length,
      expected: sentAt.size,
      deliveriesPerSecond: ours.length / ((lastArrival - started) / 1000),
      e2e: ours.map(([sent, arrived]) => arrived - sent),
      ingestRss: services.ingest.peakRssMb(),
      dispatcherRss: services.dispatcher?.peakRssMb() ?? Number.NaN,
      errors: answers.filter((a) => a.status !== 202).length,
      cpu: {
        ingest: perScan(spent.ingest),
        dispatcher: perScan(spent.dispatcher),
        harness: perScan(spent.harness),
        rest: perScan(spent.machine - spent.ingest - spent.dispatcher - spent.harness),
      },
    }
  } finally {
    await services.stop()
    await dropRedisPrefix(REDIS_URL, prefix)
    await database.drop()
  }
}

const fmt = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '–')
const ms = (values: readonly number[]) => [50, 95, 99].map((p) => fmt(percentile(values, p), 1)).join(' / ')

function table(rows: readonly Row[]): string {
  const lines = [
    `| scenario | scans | acks/s | ack p50 / p95 / p99 ms | delivered | deliveries/s | scan→delivery p50 / p95 / p99 ms | peak RSS ingest / dispatcher MB | CPU ms per scan: ingest / dispatcher / Postgres+Redis+kernel / harness | errors |`,
    `|---|---|---|---|---|---|---|---|---|---|`,
  ]
  for (const r of rows) {
    const delivered = r.scenario.dispatcher ? `${r.delivered}/${r.expected}` : '–'
    lines.push(
      `| ${r.scenario.name} | ${r.ack.length} | ${fmt(r.acksPerSecond)} | ${ms(r.ack)} | ${delivered} | ${r.scenario.dispatcher ? fmt(r.deliveriesPerSecond) : '–'} | ${r.scenario.dispatcher ? ms(r.e2e) : '–'} | ${fmt(r.ingestRss)} / ${fmt(r.dispatcherRss)} | ${fmt(r.cpu.ingest, 2)} / ${fmt(r.cpu.dispatcher, 2)} / ${fmt(r.cpu.rest, 2)} / ${fmt(r.cpu.harness, 2)} | ${r.errors} |`,
    )
  }
  return lines.join('\n')
}

/**
 * Our end-to-end figures as ratios of Alertmanager's from the same run: deliveries/s (higher is
 * better; the target is ≥ 0.5) and scan→delivery latency (lower is better; the target is p99 ≤ 2×).
 */
function ratioTable(rows: readonly Row[]): string | undefined {
  const ours = rows.find((r) => r.scenario.name === 'e2e')
  const am = rows.find((r) => r.scenario.alertmanager)
  if (!ours || !am) return undefined
  const ratio = (a: number, b: number) => fmt(a / b, 2)
  const line = (what: string, a: number, b: number, target: string) =>
    `| ${what} | ${fmt(a, 1)} | ${fmt(b, 1)} | ${ratio(a, b)} | ${target} |`
  return [
    '| e2e vs Alertmanager (same run) | ours | Alertmanager | ratio ours ÷ Alertmanager | target |',
    '|---|---|---|---|---|',
    line('deliveries/s', ours.deliveriesPerSecond, am.deliveriesPerSecond, '≥ 0.5'),
    line('acks/s', ours.acksPerSecond, am.acksPerSecond, '–'),
    line('scan→delivery p50 ms', percentile(ours.e2e, 50), percentile(am.e2e, 50), '–'),
    line('scan→delivery p99 ms', percentile(ours.e2e, 99), percentile(am.e2e, 99), '≤ 2'),
    line('peak RSS MB (ingest + dispatcher)', ours.ingestRss + ours.dispatcherRss, am.ingestRss, '–'),
  ].join('\n')
}

async function main(): Promise<void> {
  const only = args.only?.split(',').map((s) => s.trim())
  const chosen = SCENARIOS.filter((s) => (only ? only.includes(s.name) : !(args['no-history'] && s.history)))
  const sink = await startSink()
  const rows: Row[] = []
  try {
    for (const scenario of chosen) {
      process.stderr.write(`bench: ${scenario.name} (${scenario.what}) …\n`)
      const row = await run(scenario, sink)
      rows.push(row)
      process.stderr.write(`${table([row]).split('\n')[2]}\n`)
    }
  } finally {
    sink.stop()
  }
  const machine = `${cpus().length} cores (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`
  const report = [
    `# Benchmark ${new Date().toISOString()}`,
    '',
    `Machine: ${machine}. Load: closed loop, ${CONCURRENCY} requests in flight, keep-alive; everything (load generator, sink, services, Postgres, Redis) on this machine.`,
    '',
    ...chosen.map((s) => `- **${s.name}**: ${s.what} (${s.count} scans)`),
    '',
    table(rows),
    '',
    ...(ratioTable(rows) ? [ratioTable(rows)!, ''] : []),
  ].join('\n')
  console.log(report)
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true })
  // A partial run (--only) gets a file of its own, so it never overwrites the day's full table.
  const suffix = only ? `-${only.join('-')}` : ''
  writeFileSync(new URL(`./results/${new Date().toISOString().slice(0, 10)}${suffix}.md`, import.meta.url), report)
}

await main()
