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
    throw new Error(
      `${missing} is not set: set both AQUAALERT_CERT_PEM and AQUAALERT_KEY_PEM${hint}, or neither for a generated self-signed pair`,
    )
  }
  return getOrCreateTlsPair(db, 'ingest-self-signed', async () => {
    const pems = await generate([{ name: 'commonName', value: 'postee-ingest' }], {
      keySize: 2048,
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + 10 * 365 * 24 * 3600 * 1000),
      extensions: [
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
          ],
        },
      ],
    })
    return { certPem: pems.cert, keyPem: pems.private }
  })
}

/**
 * The cipher suites the HTTPS listener offers: TLS 1.3's (all forward-secret AEAD), and for TLS
 * 1.2 only ECDHE key exchange with AEAD ciphers. Left out on purpose: RSA key exchange (no forward
 * secrecy), CBC modes and SHA-1 MACs (padding oracles, Lucky13), DHE (slow, weak groups in the wild).
 */
export const TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':')

/**
 * The HTTPS listener's options: TLS 1.2 with ECDHE + AEAD suites, or TLS 1.3; with a client CA
 * configured, mutual TLS: a client without a certificate signed by that CA is refused during the
 * handshake.
 */
export function httpsOptions(pair: TlsPair, clientCaPem: string | undefined): ServerOptions {
  return {
    cert: pair.certPem,
    key: pair.keyPem,
    minVersion: 'TLSv1.2',
    ciphers: TLS_CIPHERS,
    honorCipherOrder: true,
    ...(clientCaPem ? { ca: pemFrom(clientCaPem), requestCert: true, rejectUnauthorized: true } : {}),
  }
}
