import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Queue } from 'bullmq'
import { sql, type Kysely } from 'kysely'
import type { Database } from '@postee/store'

/** The dispatcher metrics; labels are finite (configured outputs, statuses, failure reasons). */
export interface DispatcherMetrics {
  readonly registry: Registry
  readonly deliveries: Counter<'output' | 'status'>
  readonly failures: Counter<'output' | 'reason'>
  readonly retries: Counter<'output'>
  readonly latency: Histogram<'output'>
  readonly reloads: Counter<'result'>
}

/** Where the gauges read their values when Prometheus scrapes. */
export interface GaugeSources {
  readonly db: Kysely<Database>
  readonly queues: () => ReadonlyMap<string, Queue>
}

/** Creates the dispatcher metric families in a registry of their own. */
export function createDispatcherMetrics(sources?: GaugeSources): DispatcherMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const metrics: DispatcherMetrics = {
    registry,
    deliveries: new Counter({
      name: 'postee_deliveries_total',
      help: 'Deliveries that reached a final status, by output and status (sent, failed, dead).',
      labelNames: ['output', 'status'],
      registers: [registry],
    }),
    failures: new Counter({
      name: 'postee_delivery_failures_total',
      help: 'Failed delivery attempts, by output and reason.',
      labelNames: ['output', 'reason'],
      registers: [registry],
    }),
    retries: new Counter({
      name: 'postee_delivery_retries_total',
      help: 'Delivery attempts scheduled again after a retryable failure.',
      labelNames: ['output'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'postee_delivery_latency_seconds',
      help: 'Time from scan received to delivered, per output.',
      labelNames: ['output'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
      registers: [registry],
    }),
    reloads: new Counter({
      name: 'postee_config_reloads_total',
      help: 'Config reloads, by result (applied, refused).',
      labelNames: ['result'],
      registers: [registry],
    }),
  }
  if (sources) registerGauges(registry, sources)
  return metrics
}

function registerGauges(registry: Registry, sources: GaugeSources): void {
  new Gauge({
    name: 'postee_queue_jobs',
    help: 'Jobs in each output queue, by state (waiting, delayed, active).',
    labelNames: ['output', 'state'],
    registers: [registry],
    async collect() {
      this.reset()
      for (const [output, queue] of sources.queues()) {
        const counts = await queue.getJobCounts('wait', 'delayed', 'active', 'prioritized')
        this.set({ output, state: 'waiting' }, (counts.wait ?? 0) + (counts.prioritized ?? 0))
        this.set({ output, state: 'delayed' }, counts.delayed ?? 0)
        this.set({ output, state: 'active' }, counts.active ?? 0)
      }
    },
  })
  new Gauge({
    name: 'postee_queue_oldest_waiting_seconds',
    help: 'Age of the oldest job waiting in each output queue (0 when none waits).',
    labelNames: ['output'],
    registers: [registry],
    async collect() {
      this.reset()
      for (const [output, queue] of sources.queues()) {
        const [oldest] = await queue.getJobs(['wait'], 0, 0, true)
        this.set({ output }, oldest ? Math.max(0, (Date.now() - oldest.timestamp) / 1000) : 0)
      }
    },
  })
  new Gauge({
    name: 'postee_deliveries_in_flight',
    help: 'Deliveries not yet final, by output and status (pending, sending, buffered = held for aggregation).',
    labelNames: ['output', 'status'],
    registers: [registry],
    async collect() {
      this.reset()
      const { rows } = await sql<{ output: string; status: string; count: number }>`
        select output, status, count(*)::int as count from deliveries
        where status in ('pending', 'sending') or (status = 'buffered' and batch_id is null)
        group by output, status`.execute(sources.db)
      for (const row of rows) this.set({ output: row.output, status: row.status }, row.count)
    },
  })
}
