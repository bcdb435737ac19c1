import { looksLikeAquaScan, parseAquaScan } from './aqua.js'
import type { Scan, ScanSource } from './model.js'
import { ScanRejection, limitRejection } from './rejection.js'
import { looksLikeVulnerabilityReport, parseVulnerabilityReport } from './trivy-operator.js'
import { looksLikeTrivyReport, parseTrivyReport } from './trivy.js'

interface SourceParser {
  readonly source: ScanSource
  /** A cheap look at the body's shape, used when the sender does not say what it is. */
  readonly recognises: (body: unknown) => boolean
  readonly parse: (body: unknown) => Scan
  /** How the shape is described in the 400 for a body no parser recognises. */
  readonly shape: string
}

// One line per source; the first that recognises a body parses it. Aqua may go first: it wants a
// top-level `image` or `registry`, which neither a Trivy report nor a VulnerabilityReport has.
const PARSERS: readonly SourceParser[] = [
  {
    source: 'aqua',
    recognises: looksLikeAquaScan,
    parse: parseAquaScan,
    shape: 'an Aqua image scan (an object with `image` and `registry`)',
  },
  {
    source: 'trivy',
    recognises: looksLikeTrivyReport,
    parse: parseTrivyReport,
    shape: 'a Trivy JSON report (`trivy --format json`: an object with `SchemaVersion`, `ArtifactName` and `Results`)',
  },
  {
    source: 'trivy-operator',
    recognises: looksLikeVulnerabilityReport,
    parse: parseVulnerabilityReport,
    shape:
      "a Trivy Operator VulnerabilityReport (`kind: VulnerabilityReport` with `report.artifact` and `report.vulnerabilities`, bare or as the webhook's `operatorObject`)",
  },
]

/** The sources ingest accepts, for `?source=` validation and error messages. */
export const ACCEPTED_SOURCES: readonly ScanSource[] = PARSERS.map((parser) => parser.source)

const utf8 = new TextDecoder('utf-8', { fatal: true })

const NUL_ESCAPE = /(?:^|[^\\])(?:\\\\)*\\u0000/

/** The deepest nesting of objects and arrays a body may have; real scans stay under 10. */
export const MAX_NESTING = 64

/**
 * True when the JSON body nests deeper than `limit`, read from its UTF-8 bytes before anything
 * else: a 20 MB body of `[` would otherwise cost seconds to parse. Strings are skipped with a
 * native byte search (no byte of a multi-byte UTF-8 character can be a quote, backslash or
 * bracket), so a 340 KB scan costs about 0.3 ms.
 */
export function nestsDeeperThan(body: Uint8Array, limit: number): boolean {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  let depth = 0
  for (let i = 0; i < bytes.length;) {
    const c = bytes[i]!
    if (c === 34) {
      let end = i + 1
      for (;;) {
        end = bytes.indexOf(34, end)
        if (end < 0) return false
        let backslashes = 0
        while (bytes[end - 1 - backslashes] === 92) backslashes++
        if (backslashes % 2 === 0) break
        end++
      }
      i = end + 1
      continue
    }
    if (c === 123 || c === 91) {
      if (++depth > limit) return true
    } else if (c === 125 || c === 93) depth--
    i++
  }
  return false
}

/**
 * Turns a request body into the scan model: strict UTF-8, then JSON, then the source's parser
 * (the one named by `source`, or the first that recognises the shape). Throws ScanRejection.
 */
export function parseScanBody(body: Uint8Array, source?: string): { scan: Scan; rawBody: string } {
  let text: string
  try {
    text = decode(body)
  } catch {
    throw new ScanRejection('the body is not valid UTF-8: send the scan as UTF-8 encoded JSON')
  }
  if (text.trim() === '') throw new ScanRejection('the body is empty: send the scan result JSON')
  if (nestsDeeperThan(body, MAX_NESTING)) {
    throw new ScanRejection(`the body nests objects or arrays deeper than ${MAX_NESTING} levels; no scan format does`)
  }
  // Postgres text and jsonb cannot hold U+0000, and no scan field needs it. The escape counts only
  // when its backslash is not itself escaped (an even run of backslashes before it).
  if (text.includes('\\u0000') && NUL_ESCAPE.test(text)) {
    throw new ScanRejection('the body contains the NUL character (\\u0000), which no scan field can hold; remove it')
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new ScanRejection(`the body is not JSON (${(error as Error).message}): send the scan result as JSON`)
  }
  const overLimit = limitRejection(json)
  if (overLimit) throw overLimit
  // The text of a 20 MB body is 20 MB (40 MB beyond Latin-1) of heap: let it go before the model
  // is built. `rawBody` decodes the bytes again when (rarely) asked.
  // eslint-disable-next-line no-useless-assignment -- dropping the reference is the point
  text = ''
  const parser = source === undefined ? PARSERS.find((p) => p.recognises(json)) : PARSERS.find((p) => p.source === source)
  if (!parser) {
    throw new ScanRejection(
      source === undefined
        ? `the body is not a scan this service accepts; accepted: ${PARSERS.map((p) => p.shape).join('; ')}`
        : `unknown source "${source}"; accepted sources: ${ACCEPTED_SOURCES.join(', ')}`,
    )
  }
  const scan = parser.parse(json)
  return {
    scan,
    get rawBody() {
      return decode(body)
    },
  }
}

function decode(body: Uint8Array): string {
  return utf8.decode(body)
}
