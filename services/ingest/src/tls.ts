import { existsSync, readFileSync } from 'node:fs'
import type { ServerOptions } from 'node:https'
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

/**
 * The HTTPS listener's options: TLS 1.2 or later, and with a client CA configured, mutual TLS:
 * a client without a certificate signed by that CA is refused during the handshake.
 */
export function httpsOptions(pair: TlsPair, clientCaPem: string | undefined): ServerOptions {
  return {
    cert: pair.certPem,
    key: pair.keyPem,
    minVersion: 'TLSv1.2',
    ...(clientCaPem ? { ca: pemFrom(clientCaPem), requestCert: true, rejectUnauthorized: true } : {}),
  }
}
