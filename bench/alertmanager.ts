/**
 * Prometheus Alertmanager as the yardstick: the same load shape as our e2e scenario (N distinct
 * events in over HTTP, one per request, a fixed number in flight, one webhook notification each
 * to the same sink), so `pnpm bench` can print our figures as ratios of Alertmanager's from one
 * run on one machine. Debian's `prometheus-alertmanager` (0.25) is installed when missing.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stopChild } from './services.js'

const BINARY = '/usr/bin/prometheus-alertmanager'

/** Installs Debian's package when the binary is missing (CI and new machines start without it). */
export function ensureAlertmanager(): string {
  if (existsSync(BINARY)) return BINARY
  process.stderr.write('bench: installing Debian prometheus-alertmanager …\n')
  const apt = (args: string[]) =>
    execFileSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
  apt(['update', '-qq'])
  apt(['install', '-y', '-qq', '--no-install-recommends', 'prometheus-alertmanager'])
  if (!existsSync(BINARY)) throw new Error(`apt-get installed prometheus-alertmanager but ${BINARY} is missing`)
  return BINARY
}

/**
 * One notification per alert, sent as soon as the alert arrives: every label is a grouping label
 * (`'...'`) so each alert is a group of its own, `group_wait: 0s` flushes a new group at once, and
 * the long intervals keep a group from being sent twice during the run.
 */
function config(sinkUrl: string): string {
  return [
    'route:',
    '  receiver: sink',
    "  group_by: ['...']",
    '  group_wait: 0s',
    '  group_interval: 1h',
    '  repeat_interval: 24h',
    'receivers:',
    '  - name: sink',
    '    webhook_configs:',
    `      - url: ${sinkUrl}/alertmanager`,
    '        send_resolved: false',
    '',
  ].join('\n')
}

/** A running Alertmanager on loopback, clustering off, state in a temporary folder. */
export interface RunningAlertmanager {
  readonly url: string
  readonly child: ChildProcess
  stop(): Promise<void>
}

/** Starts Alertmanager with the one-notification-per-alert route to `sinkUrl` and waits until it is ready. */
export async function startAlertmanager(sinkUrl: string, port: number): Promise<RunningAlertmanager> {
  const binary = ensureAlertmanager()
  const dir = mkdtempSync(join(tmpdir(), 'postee-bench-am-'))
  writeFileSync(join(dir, 'alertmanager.yml'), config(sinkUrl))
  const child = spawn(
    binary,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${dir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  )
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`alertmanager exited with ${child.exitCode} before it was ready`)
    if (
      await fetch(`${url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break
    if (Date.now() > deadline) throw new Error(`alertmanager at ${url} was not ready within 30 s`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return {
    url,
    child,
    stop: () => stopChild(child),
  }
}

/** One request's body: a single firing alert whose `id` label the sink reports its arrival by. */
export function alertBody(id: string): Buffer {
  return Buffer.from(
    JSON.stringify([
      {
        labels: { alertname: 'ImageVulnerable', id, severity: 'critical' },
        annotations: { summary: `image bench/${id}:1.0 has critical vulnerabilities` },
        startsAt: new Date().toISOString(),
      },
    ]),
  )
}
