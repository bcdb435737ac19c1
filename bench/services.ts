import { fork, spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** A process of the system under test, with its peak resident memory read at the end. */
export interface Service {
  readonly child: ChildProcess
  /** VmHWM: the peak resident set size so far, in MB (Linux). */
  peakRssMb(): number
  /** CPU time (user + system) used so far, in ms (Linux). */
  cpuMs(): number
  stop(): Promise<void>
}

const TICK_MS = 10 // USER_HZ is 100 on Linux

/** CPU time (user + system) a process has used, in ms, from /proc/<pid>/stat. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS
}

/** CPU time the whole machine spent busy (everything but idle and iowait), in ms, from /proc/stat. */
export function machineBusyMs(): number {
  const [, ...times] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/)
  const values = times.map(Number)
  const total = values.reduce((a, b) => a + b, 0)
  return (total - values[3]! - values[4]!) * TICK_MS
}

/** VmHWM: a process's peak resident set size so far, in MB (Linux). */
export function peakRssMb(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match ? Number(match[1]) / 1024 : Number.NaN
}

// POSTEE_BENCH_PROFILE=<dir> writes a V8 CPU profile of each service there when it stops.
const PROFILE = process.env.POSTEE_BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.POSTEE_BENCH_PROFILE] : []

// The services' production heap setting (the Dockerfile's NODE_OPTIONS): the old generation is
// collected before RSS grows past what a 384 MiB container limit allows.
const HEAP = ['--max-old-space-size=160']

function start(entry: string, env: Record<string, string>): Service {
  const child = spawn(process.execPath, [...PROFILE, ...HEAP, join(ROOT, entry)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  return {
    child,
    cpuMs: () => processCpuMs(child.pid!),
    peakRssMb: () => peakRssMb(child.pid!),
    stop: () => stopChild(child),
  }
}

/** SIGTERM, then SIGKILL after 10 s; resolves when the process has exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}

async function waitReady(url: string, service: Service): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (service.child.exitCode !== null) throw new Error(`${url}: the process exited with ${service.child.exitCode}`)
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${url} never became ready`)
}

/** Ports of the services under test (fixed, unusual, on loopback). */
export const PORTS = { ingest: 18_182, dispatcher: 18_191, alertmanager: 18_193 }

/** The HTTP sink, in a process of its own so it does not share the load generator's event loop. */
export async function startSink(): Promise<{
  url: string
  pid: number
  arrivals: () => Promise<Map<string, number>>
  reset: () => void
  stop: () => void
}> {
  const child = fork(join(ROOT, 'bench/sink.mjs'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)))
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    arrivals: () =>
      new Promise((resolve) => {
        child.once('message', (m: { arrivals: [string, number][] }) => resolve(new Map(m.arrivals)))
        child.send('arrivals')
      }),
    reset: () => child.send('reset'),
    stop: () => child.kill(),
  }
}

/** Ingest (and, when asked, one dispatcher) on a database and Redis prefix of their own. */
export async function startServices(options: {
  config: string
  databaseUrl: string
  redisUrl: string
  prefix: string
  dispatcher: boolean
}): Promise<{ ingest: Service; dispatcher: Service | undefined; stop: () => Promise<void> }> {
  const configPath = join(mkdtempSync(join(tmpdir(), 'postee-bench-')), 'cfg.yaml')
  writeFileSync(configPath, options.config)
  const env = {
    AQUAALERT_CFG: configPath,
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    POSTEE_QUEUE_PREFIX: options.prefix,
    AQUAALERT_URL: `127.0.0.1:${PORTS.ingest}`,
    AQUAALERT_TLS: 'off',
    POSTEE_DISPATCHER_HTTP: `127.0.0.1:${PORTS.dispatcher}`,
    POSTEE_MIGRATE: 'off',
    POSTEE_LOG_LEVEL: 'warn',
  }
  const ingest = start('services/ingest/dist/main.js', env)
  await waitReady(`http://127.0.0.1:${PORTS.ingest}/readyz`, ingest)
  let dispatcher: Service | undefined
  if (options.dispatcher) {
    dispatcher = start('services/dispatcher/dist/main.js', env)
    await waitReady(`http://127.0.0.1:${PORTS.dispatcher}/readyz`, dispatcher)
  }
  return { ingest, dispatcher, stop: async () => void (await Promise.all([ingest.stop(), dispatcher?.stop()])) }
}
