import { existsSync, readFileSync } from 'node:fs'
import { generate } from 'selfsigned'
import type { Kysely } from 'kysely'
import { getOrCreateTlsPair, type Database, type TlsPair } from '@postee/store'

/** AQUAALERT_CERT_PEM / AQUAALERT_KEY_PEM may hold PEM text or the path of a PEM file. */
function pemFrom(value: string): string {
  return value.includes('-----BEGIN') ? value : readFileSync(value, 'utf8')
}

/**
 * The HTTPS listener's pair: the configured one, else a self-signed pair generated once, stored in
 * Postgres and shared by every replica, so clients that pin it keep working across restarts.
 */
export async function resolveTlsPair(db: Kysely<Database>, certPem: string | undefined, keyPem: string | undefined): Promise<TlsPair> {
  if (certPem && keyPem) return { certPem: pemFrom(certPem), keyPem: pemFrom(keyPem) }
  if (certPem || keyPem) {
    const missing = certPem ? 'AQUAALERT_KEY_PEM' : 'AQUAALERT_CERT_PEM'
    const hint = existsSync(certPem ?? keyPem ?? '') ? '' : ' (each holds PEM text or a file path)'
    throw new Error(`${missing} is not set: set both AQUAALERT_CERT_PEM and AQUAALERT_KEY_PEM${hint}, or neither for a generated self-signed pair`)
  }
  return getOrCreateTlsPair(db, 'ingest-self-signed', async () => {
    const pems = await generate([{ name: 'commonName', value: 'postee-ingest' }], {
      keySize: 2048,
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + 10 * 365 * 24 * 3600 * 1000),
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
    })
    return { certPem: pems.cert, keyPem: pems.private }
  })
}
