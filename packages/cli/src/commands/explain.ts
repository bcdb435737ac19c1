import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { gunzipSync } from 'node:zlib'
import {
  ConfigError,
  ScanRejection,
  loadConfigFile,
  parseScanBody,
  readRuntimeEnv,
  scanFingerprint,
  type Config,
  type Scan,
} from '@postee/shared'
import { openDatabase, previewRescan } from '@postee/store'
import { UsageError, type CommandIo, type ExitCode } from '../io.js'
import { explainScan, explanationLines, type HistorySource } from './explain-report.js'

/** Usage of `postee explain`. */
export const EXPLAIN_USAGE = `postee explain PAYLOAD.json [--config FILE] [--json] [--no-history]
  A dry run of one scan payload (JSON, or gzipped JSON) against the live history and the config
  (--config, else AQUAALERT_CFG / POSTEE_CFG): the rescan decision and diff, which integrations
  would send or skip it and by which policy key, and the size of each message against its
  target's limits. Nothing is stored or sent. --no-history assumes the scan is new.`

// RFC 1952: every gzip member starts with these two bytes.
const GZIP_MAGIC = [0x1f, 0x8b] as const

/** Thrown for a payload that cannot be read or is not a scan; the message names the file. */
class PayloadError extends Error {}

/** `postee explain`: what would happen to a scan, without it happening. */
export async function explainCommand(args: readonly string[], io: CommandIo): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { config: { type: 'string' }, json: { type: 'boolean', default: false }, 'no-history': { type: 'boolean', default: false } },
  })
  if (positionals.length !== 1) throw new UsageError('name exactly one payload file, e.g. postee explain scan.json')
  const path = positionals[0]!
  let payload: { scan: Scan; rawBody: string }
  let config: Config
  try {
    payload = await readPayload(path)
    config = await loadConfigFile(values.config ?? readRuntimeEnv(io.env).configPath, io.env)
  } catch (error) {
    if (!(error instanceof PayloadError || error instanceof ConfigError)) throw error
    io.err(error.message)
    return 1
  }
  const history = values['no-history'] ? assumeNew('the history was not consulted (--no-history)') : await readHistory(io.env, payload.scan)
  const explanation = explainScan(config, { path, ...payload }, history)
  if (values.json) io.out(JSON.stringify(explanation, null, 2))
  else explanationLines(explanation).forEach((line) => io.out(line))
  return 0
}

/** Reads a payload as ingest would take it: gzip is inflated (as ingest's Content-Encoding is), then parsed. */
async function readPayload(path: string): Promise<{ scan: Scan; rawBody: string }> {
  let bytes: Buffer
  try {
    bytes = await readFile(path)
    if (bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]) bytes = gunzipSync(bytes)
  } catch (error) {
    throw new PayloadError(`cannot read the payload ${path} (${errorText(error)}): name a scan JSON file, optionally gzipped`)
  }
  try {
    return parseScanBody(bytes)
  } catch (error) {
    if (!(error instanceof ScanRejection)) throw error
    throw new PayloadError(`${path}: ${error.message}`)
  }
}

/**
 * The rescan decision from the history in DATABASE_URL, read-only. When Postgres cannot be read the
 * explanation still helps with policies and sizes, so the scan is taken as new and the reason said.
 */
async function readHistory(env: NodeJS.ProcessEnv, scan: Scan): Promise<HistorySource> {
  const db = openDatabase(readRuntimeEnv(env).databaseUrl, { max: 1 })
  try {
    return { consulted: true, note: undefined, decision: await previewRescan(db, scan, scanFingerprint(scan)) }
  } catch (error) {
    return assumeNew(
      `the history could not be read (${errorText(error)}), so the scan is taken as new; check DATABASE_URL and that the schema is migrated (postee migrate), or pass --no-history`,
    )
  } finally {
    await db.destroy().catch(() => undefined)
  }
}

function assumeNew(note: string): HistorySource {
  return { consulted: false, note, decision: { outcome: 'new', base: undefined, diff: undefined } }
}

// Connection failures to a host with several addresses are an AggregateError with an empty message.
function errorText(error: unknown): string {
  const { message, code } = error as { message?: string; code?: string }
  return message || code || String(error)
}
