import { Readable } from 'node:stream'
import { brotliCompressSync, brotliDecompressSync, constants, createBrotliDecompress } from 'node:zlib'
import type { Scan } from '@postee/shared'

// Quality 1: about 3x smaller for scan JSON at ~75 µs per 10 KB, several times cheaper than gzip
// at a similar ratio. Fewer bytes over the socket and no pglz pass in Postgres cost less CPU than
// the compression does.
const QUALITY = { params: { [constants.BROTLI_PARAM_QUALITY]: 1, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT } }

/**
 * Compresses a scan body for `scans.body`: the bytes as received (ingest passes them, so no
 * second copy of a large body is made as text) or text.
 */
export function packBody(body: string | Uint8Array): Buffer {
  return brotliCompressSync(typeof body === 'string' ? Buffer.from(body, 'utf8') : body, QUALITY)
}

/** The body of a stored scan: `body` (compressed) or, for rows stored before it, `raw_body`. */
export function unpackBody(body: Buffer | null, rawBody: string | null): string {
  if (body) return brotliDecompressSync(body).toString('utf8')
  return rawBody ?? ''
}

/**
 * The body of a stored scan as a stream of bytes, decompressed as it is read: a 20 MB body is
 * sent on without ever being held whole.
 */
export function bodyStream(body: Buffer | null, rawBody: string | null): Readable {
  if (body) return Readable.from([body]).pipe(createBrotliDecompress())
  return Readable.from([Buffer.from(rawBody ?? '', 'utf8')])
}

/** Compresses a bounded scan summary (summarizeScan) for `scans.summary`. */
export function packSummary(summary: Scan): Buffer {
  return brotliCompressSync(Buffer.from(JSON.stringify(summary), 'utf8'), QUALITY)
}

/** Reads a summary stored by packSummary; it was written by this code, so it is not validated again. */
export function unpackSummary(summary: Buffer): Scan {
  return JSON.parse(brotliDecompressSync(summary).toString('utf8')) as Scan
}
