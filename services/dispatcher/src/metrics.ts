import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** The dispatcher metrics; labels are finite (configured outputs, statuses, failure reasons). */
export interface DispatcherMetrics {
  readonly registry: Registry
  readonly deliveries: Counter<'output' | 'status'>
  readonly failures: Counter<'output' | 'reason'>
  readonly retries: Counter<'output'>
  readonly latency: Histogram<'output'>
}

/** Creates the dispatcher metric families in a registry of their own. */
export function createDispatcherMetrics(): DispatcherMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  return {
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
  }
}
