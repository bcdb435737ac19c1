import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '@postee/store'

/** Inserts a minimal stored scan for deliveries to hang off, and returns its id. */
export async function seedScan(db: Kysely<Database>): Promise<string> {
  const scanId = randomUUID()
  await db
    .insertInto('scans')
    .values({
      id: scanId,
      source: 'aqua',
      registry: 'r',
      image: 'i',
      digest: 'd',
      outcome: 'new',
      raw_body: '{}',
      size_bytes: 2,
      diff: null,
      base_digest: null,
      base_scan_id: null,
    })
    .execute()
  return scanId
}
