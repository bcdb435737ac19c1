import type { Kysely } from 'kysely'
import type { Database } from './database.js'

/** A PEM certificate and key. */
export interface TlsPair {
  readonly certPem: string
  readonly keyPem: string
}

/**
 * Returns the stored pair called `name`, storing `generate()`'s pair first when there is none.
 * Every replica ends up with the same pair: the first insert wins and the others read it.
 */
export async function getOrCreateTlsPair(db: Kysely<Database>, name: string, generate: () => Promise<TlsPair>): Promise<TlsPair> {
  const existing = await db.selectFrom('tls_material').select(['cert_pem', 'key_pem']).where('name', '=', name).executeTakeFirst()
  if (existing) return { certPem: existing.cert_pem, keyPem: existing.key_pem }
  const pair = await generate()
  await db
    .insertInto('tls_material')
    .values({ name, cert_pem: pair.certPem, key_pem: pair.keyPem })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute()
  const stored = await db.selectFrom('tls_material').select(['cert_pem', 'key_pem']).where('name', '=', name).executeTakeFirstOrThrow()
  return { certPem: stored.cert_pem, keyPem: stored.key_pem }
}
