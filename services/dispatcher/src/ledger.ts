import type { Kysely } from 'kysely'
import { GroupCommit } from '@postee/shared'
import { claimDeliveries, markSentMany, type ClaimedDelivery, type Database } from '@postee/store'

// Jobs of every output of this process share these groups: one statement claims (or records) what
// queued up while the previous statement ran.
const GROUPS = { maxBatch: 128, maxConcurrent: 1 }

/**
 * The dispatcher's side of the delivery ledger, in group commits: many jobs in flight at once
 * claim their deliveries (with the scans to send) in one statement, and record their sends in one
 * statement, each job still waiting for its own row to be written.
 */
export class DeliveryLedger {
  readonly #claims: GroupCommit<string, ClaimedDelivery | undefined>
  readonly #sends: GroupCommit<{ readonly id: string; readonly externalId: string | undefined }, void>

  constructor(db: Kysely<Database>) {
    let n = 0
    this.#claims = new GroupCommit(
      async (ids) => {
        const claimed = await claimDeliveries(db, ids)
        return ids.map((id) => claimed.get(id))
      },
      (id) => ({ group: id, member: '' }),
      GROUPS,
    )
    this.#sends = new GroupCommit(
      async (sent) => {
        await markSentMany(db, sent)
        return sent.map(() => undefined)
      },
      () => ({ group: String(n++), member: '' }),
      GROUPS,
    )
  }

  /** Claims one delivery for an attempt; undefined when there is nothing to do (final, buffered, gone). */
  claim(id: string): Promise<ClaimedDelivery | undefined> {
    return this.#claims.submit(id)
  }

  /** Records a successful send; resolves once it is committed. */
  sent(id: string, externalId: string | undefined): Promise<void> {
    return this.#sends.submit({ id, externalId })
  }
}
