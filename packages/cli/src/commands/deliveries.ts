import { parseArgs } from 'node:util'
import { DELIVERY_LIST_LIMIT, listDeliveries, type DeliveryListing, type DeliveryStatus } from '@postee/store'
import { connect } from '../connections.js'
import { SINCE_FORMAT, parseSince } from '../format.js'
import { UsageError, table, type CommandIo, type ExitCode } from '../io.js'

const STATUSES: readonly DeliveryStatus[] = ['pending', 'buffered', 'sending', 'sent', 'failed', 'dead']

/** Usage of `postee deliveries`. */
export const DELIVERIES_USAGE = `postee deliveries [--status failed|dead|pending|buffered|sending|sent] [--output NAME] [--scan ID] [--since TIME] [--limit N] [--json]
  Lists deliveries from the ledger, newest first, with the image and their last error. Without
  --status it lists the dead letters: failed and dead deliveries. TIME is ${SINCE_FORMAT}.`

/** `postee deliveries`: the ledger, dead letters first. */
export async function deliveriesCommand(args: readonly string[], io: CommandIo): Promise<ExitCode> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      status: { type: 'string' },
      output: { type: 'string' },
      scan: { type: 'string' },
      since: { type: 'string' },
      limit: { type: 'string', default: '200' },
      json: { type: 'boolean', default: false },
    },
  })
  if (values.status && !STATUSES.includes(values.status as DeliveryStatus))
    throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`)
  const since = values.since === undefined ? undefined : parseSince(values.since, new Date())
  if (values.since !== undefined && since === undefined)
    throw new UsageError(`--since ${JSON.stringify(values.since)} is not ${SINCE_FORMAT}`)
  const limit = Number(values.limit)
  if (!Number.isInteger(limit) || limit < 1 || limit > DELIVERY_LIST_LIMIT.max)
    throw new UsageError(`--limit must be a whole number from 1 to ${DELIVERY_LIST_LIMIT.max}`)
  const { db, close } = connect(io.env)
  try {
    const statuses = values.status ? [values.status as DeliveryStatus] : (['failed', 'dead'] as const)
    const rows = (
      await Promise.all(
        statuses.map((status) =>
          listDeliveries(db, {
            status,
            limit,
            ...(values.output ? { output: values.output } : {}),
            ...(values.scan ? { scan: values.scan } : {}),
            ...(since ? { since } : {}),
          }),
        ),
      )
    )
      .flat()
      .sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime())
      .slice(0, limit)
    if (values.json) {
      io.out(JSON.stringify({ deliveries: rows }, null, 2))
      return 0
    }
    if (rows.length === 0) {
      io.out(values.status ? `no ${values.status} deliveries` : 'no failed or dead deliveries')
      return 0
    }
    const lines = table(
      ['ID', 'OUTPUT', 'IMAGE', 'STATUS', 'ATTEMPTS', 'UPDATED', 'LAST ERROR'],
      rows.map((d) => [
        d.id,
        d.output,
        imageOf(d),
        d.status,
        String(d.attempts),
        d.updatedAt.toISOString(),
        (d.lastError ?? '').replace(/\s+/g, ' ').slice(0, 120),
      ]),
    )
    lines.forEach((line) => io.out(line))
    return 0
  } finally {
    await close()
  }
}

// An aggregation batch has no single scan, so no single image.
function imageOf(delivery: DeliveryListing): string {
  if (delivery.image === null) return '(batch)'
  return delivery.registry ? `${delivery.registry}/${delivery.image}` : delivery.image
}
