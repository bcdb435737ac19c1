import { parseArgs } from 'node:util'
import { replayDeliveries } from '@postee/store'
import { connect } from '../connections.js'
import { SINCE_FORMAT, parseSince, plural } from '../format.js'
import { UsageError, type CommandIo, type ExitCode } from '../io.js'

/** Usage of `postee replay`. */
export const REPLAY_USAGE = `postee replay (--id ID [--id ID ...] | --output NAME | --since TIME | --all)
  Moves failed and dead deliveries back to pending with fresh attempts and queues them again under
  their own delivery id. --output and --since combine. Sent deliveries are never sent again.
  ID is a delivery id (a UUID, as postee deliveries lists them). TIME is ${SINCE_FORMAT}.`

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const BATCH = 500

/** `postee replay`: dead letters back into their queues, in batches, with progress. */
export async function replayCommand(args: readonly string[], io: CommandIo): Promise<ExitCode> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      id: { type: 'string', multiple: true },
      output: { type: 'string' },
      since: { type: 'string' },
      all: { type: 'boolean', default: false },
    },
  })
  const since = values.since === undefined ? undefined : parseSince(values.since, new Date())
  if (values.since !== undefined && since === undefined)
    throw new UsageError(`--since ${JSON.stringify(values.since)} is not ${SINCE_FORMAT}`)
  // Checked here: Postgres would refuse a malformed id with a raw "invalid input syntax" error.
  const badIds = (values.id ?? []).filter((id) => !UUID.test(id))
  if (badIds.length > 0)
    throw new UsageError(
      `--id ${badIds.map((id) => JSON.stringify(id)).join(', ')} is not a delivery id; ids are UUIDs such as 0b9d3c1e-5f2a-4c7b-9e1d-2a3b4c5d6e7f (postee deliveries lists them)`,
    )
  if (!values.id && !values.output && !since && !values.all)
    throw new UsageError('say which deliveries to replay: --id, --output, --since, or --all for every failed and dead one')
  const { db, queues, redisHost, close } = connect(io.env)
  try {
    let query = db.selectFrom('deliveries').select('id').where('status', 'in', ['failed', 'dead'])
    if (values.id) query = query.where('id', 'in', values.id)
    if (values.output) query = query.where('output', '=', values.output)
    if (since) query = query.where('updated_at', '>=', since)
    const ids = (await query.orderBy('updated_at').execute()).map((row) => row.id)
    if (ids.length === 0) {
      io.out('nothing to replay: no failed or dead delivery matches')
      return 0
    }
    let replayed = 0
    let waiting = 0
    for (let start = 0; start < ids.length; start += BATCH) {
      // Once Redis did not answer, the remaining batches are only moved back to pending.
      const report = await replayDeliveries(db, queues, { ids: ids.slice(start, start + BATCH) }, { skipQueue: waiting > 0 })
      replayed += report.replayed
      waiting += report.replayed - report.enqueued
      io.err(`replayed ${replayed}/${ids.length}`)
    }
    if (waiting === 0) io.out(`replayed ${plural(replayed, 'delivery', 'deliveries')}`)
    else {
      io.out(
        `replayed ${plural(replayed, 'delivery', 'deliveries')}: ${plural(replayed, 'delivery', 'deliveries')} moved back to pending, ${waiting} not queued yet because Redis did not answer at ${redisHost} (REDIS_URL); ` +
          'the relay of a running ingest or dispatcher will queue them when Redis returns',
      )
    }
    return 0
  } finally {
    await close()
  }
}
