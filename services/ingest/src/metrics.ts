import { Counter, Registry, collectDefaultMetrics } from 'prom-client'

/** The ingest metrics; labels are finite (outcome, reason). */
export interface IngestMetrics {
  readonly registry: Registry
  readonly scansReceived: Counter<'outcome'>
  readonly scansRejected: Counter<'reason'>
  readonly enqueueFailures: Counter
  readonly relayed: Counter
}

/** Creates the ingest metric families in a registry of their own. */
export function createIngestMetrics(): IngestMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  return {
    registry,
    scansReceived: new Counter({
      name: 'postee_scans_received_total',
      help: 'Scans accepted and stored, by rescan outcome.',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    scansRejected: new Counter({
      name: 'postee_scans_rejected_total',
      help: 'Scan POSTs refused, by reason (invalid, too-large, unauthorized, unavailable, busy: over the body budget).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    enqueueFailures: new Counter({
      name: 'postee_enqueue_failures_total',
      help: 'Committed scans whose deliveries could not be enqueued at once and were left to the relay.',
      registers: [registry],
    }),
    relayed: new Counter({
      name: 'postee_relayed_deliveries_total',
      help: 'Deliveries the relay (re-)enqueued.',
      registers: [registry],
    }),
  }
}
