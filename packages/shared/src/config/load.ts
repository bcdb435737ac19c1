import { readFile } from 'node:fs/promises'
import { closest, distance } from 'fastest-levenshtein'
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml'
import type { Document } from 'yaml'
import { ConfigError } from './config-error.js'
import { readIntegration } from './integrations.js'
import { ItemReader, isMapping } from './item-reader.js'
import { defaultCommonSettings, readAggregation, readDelivery, readCommon, readPolicy } from './item-settings.js'
import { ITEM_KEYS, ITEM_TYPES, KNOWN_KEYS, SECRET_KEYS } from './keys.js'
import type { ItemType } from './keys.js'
import type { CommonSettings, Config, ConfigProblem, Integration, OutputKind } from './types.js'

const LIST_FORMAT =
  'cfg.yaml is a YAML list with one `- name: ...` item per integration (and an optional `type: common` item for the global keys)'

// Every secret key of every type: until an item's type is known, none of these may be echoed.
const ALL_SECRET_KEYS = [...new Set(Object.values(SECRET_KEYS).flat())]

type ParsedItem =
  | { readonly kind: 'common'; readonly label: string; readonly line: number | undefined; readonly settings: CommonSettings }
  | { readonly kind: 'integration'; readonly label: string; readonly line: number | undefined; readonly integration: Integration }

/** Where one list item sits in the file: its first line, and the line of each key as written. */
interface ItemLocation {
  readonly line: number
  readonly keyLines: ReadonlyMap<string, number>
}

interface ParsedFile {
  readonly items: unknown[]
  readonly locations: readonly (ItemLocation | undefined)[]
}

// Node ranges are character offsets; the LineCounter filled in while parsing turns them into lines.
function locateItems(doc: Document, lineCounter: LineCounter): (ItemLocation | undefined)[] {
  if (!isSeq(doc.contents)) return []
  return doc.contents.items.map((node) => {
    const start = (node as { range?: [number, number, number] } | null)?.range?.[0]
    if (start === undefined) return undefined
    const keyLines = new Map<string, number>()
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isScalar(pair.key) || !pair.key.range) continue
        const written = String(pair.key.value)
        const line = lineCounter.linePos(pair.key.range[0]).line
        keyLines.set(written, line)
        // Keys are case-insensitive; the first spelling stands for the others.
        if (!keyLines.has(written.toLowerCase())) keyLines.set(written.toLowerCase(), line)
      }
    }
    return { line: lineCounter.linePos(start).line, keyLines }
  })
}

// The first segment of a key names it in the file (`unknowns › Team` sits on the `unknowns` line).
function lineOf(problem: ConfigProblem, location: ItemLocation | undefined): number | undefined {
  if (location === undefined) return undefined
  const key = problem.key.split(' › ')[0] ?? ''
  return location.keyLines.get(key) ?? location.keyLines.get(key.toLowerCase()) ?? location.line
}

// Suggestions further away than this are noise rather than a likely typo.
function nearest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase()
  const lowered = candidates.map((candidate) => candidate.toLowerCase())
  const best = closest(lower, lowered)
  if (distance(lower, best) > Math.max(2, Math.floor(lower.length / 3))) return undefined
  return candidates[lowered.indexOf(best)]
}

function parseItems(text: string, source: string, problems: ConfigProblem[]): ParsedFile | undefined {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  for (const error of doc.errors) {
    const { line, col } = lineCounter.linePos(error.pos[0])
    problems.push({ item: source, key: '', line, message: `YAML error at column ${col}: ${error.message}` })
  }
  if (doc.errors.length > 0) return undefined
  let value: unknown
  try {
    value = doc.toJS()
  } catch (error) {
    problems.push({ item: source, key: '', message: `YAML error: ${(error as Error).message}` })
    return undefined
  }
  if (Array.isArray(value)) return { items: value as unknown[], locations: locateItems(doc, lineCounter) }
  let found = 'the file is empty'
  if (isMapping(value)) {
    const v2 = 'outputs' in value || 'routes' in value ? ' (it looks like the Postee v2 format, which is not supported)' : ''
    found = `the top level is a mapping${v2}`
  } else if (value !== null && value !== undefined) {
    found = 'the top level is a single value'
  }
  problems.push({ item: source, key: '', message: `${found}; ${LIST_FORMAT}` })
  return undefined
}

function resolveType(r: ItemReader): ItemType | undefined {
  const written = r.text(ITEM_KEYS.type)
  const valid = `valid types: ${ITEM_TYPES.join(', ')}`
  if (written === undefined) {
    if (!r.has(ITEM_KEYS.type)) r.report(ITEM_KEYS.type, `missing; set the integration type, one of the ${valid}`, 'shape')
    return undefined
  }
  const type = ITEM_TYPES.find((candidate) => candidate.toLowerCase() === written.trim().toLowerCase())
  if (type !== undefined) return type
  const suggestion = nearest(written.trim(), ITEM_TYPES)
  const hint = suggestion ? `did you mean ${suggestion}? ` : ''
  r.report(ITEM_KEYS.type, `${JSON.stringify(written)} is not a known type; ${hint}${valid}`, 'shape')
  return undefined
}

function checkKeys(r: ItemReader, type: ItemType): void {
  const known = KNOWN_KEYS[type]
  const lowered = new Set(known.map((key) => key.toLowerCase()))
  for (const written of r.writtenKeys()) {
    if (lowered.has(written.toLowerCase())) continue
    const suggestion = nearest(written, known)
    const fix = suggestion ? `did you mean ${suggestion}?` : `the keys it accepts are: ${known.join(', ')}`
    r.report(written, `unknown key for a ${type} item; ${fix}`)
  }
}

function readItem(
  raw: unknown,
  position: number,
  location: ItemLocation | undefined,
  env: NodeJS.ProcessEnv,
  problems: ConfigProblem[],
  notices: string[],
): ParsedItem | undefined {
  const found: ConfigProblem[] = []
  const item = readItemProblems(raw, position, location, env, found, notices)
  for (const problem of found) problems.push({ ...problem, line: problem.line ?? lineOf(problem, location) })
  return item
}

function readItemProblems(
  raw: unknown,
  position: number,
  location: ItemLocation | undefined,
  env: NodeJS.ProcessEnv,
  problems: ConfigProblem[],
  notices: string[],
): ParsedItem | undefined {
  const fallbackLabel = `item ${position}`
  const line = location === undefined ? undefined : lineOf({ item: '', key: ITEM_KEYS.name, message: '' }, location)
  if (!isMapping(raw)) {
    const what = Array.isArray(raw) ? 'a list' : raw === null ? 'empty' : 'a single value'
    problems.push({ item: fallbackLabel, key: '', message: `is ${what}, but each item must be a mapping of keys; ${LIST_FORMAT}` })
    return undefined
  }
  const r = new ItemReader(raw, fallbackLabel, env, problems, ALL_SECRET_KEYS)
  const name = r.text(ITEM_KEYS.name)?.trim() || undefined
  r.label = name ?? fallbackLabel
  r.reportDuplicateKeys()
  const type = resolveType(r)
  // As in Postee, an integration runs only with `enable: true` (Go's zero value was false); the
  // common item has no switch.
  const enabled = r.bool(ITEM_KEYS.enable, type === 'common')
  r.lenient = !enabled
  if (type === undefined) {
    // Without a type the item cannot run, but the keys every integration shares can still be
    // checked, so one pass over the file lists all of its problems.
    readPolicy(r)
    readAggregation(r)
    readDelivery(r, 'webhook')
    return undefined
  }
  if (type !== 'common' && !r.has(ITEM_KEYS.enable)) {
    notices.push(`${r.label} has no \`enable\` key, so it is off (as in Postee); add \`enable: true\` to start it`)
  }
  r.setSecretKeys(SECRET_KEYS[type])
  checkKeys(r, type)
  if (type === 'common')
    return { kind: 'common', label: name ?? 'common', line, settings: enabled ? readCommon(r) : defaultCommonSettings() }
  if (name === undefined && !r.has(ITEM_KEYS.name)) {
    r.report(ITEM_KEYS.name, 'missing; give every integration a unique name, e.g. name: my-jira', 'required')
  }
  return { kind: 'integration', label: r.label, line, integration: readOutput(type, r, r.label, enabled) }
}

function readOutput(kind: OutputKind, r: ItemReader, name: string, enabled: boolean): Integration {
  const base = { name, enabled, policy: readPolicy(r), aggregation: readAggregation(r), delivery: readDelivery(r, kind) }
  return readIntegration(kind, r, base)
}

function assemble(items: readonly ParsedItem[], problems: ConfigProblem[], notices: readonly string[]): Config {
  let common: CommonSettings | undefined
  let commonLabel = ''
  const integrations: Integration[] = []
  const names = new Map<string, number>()
  for (const item of items) {
    if (item.kind === 'common') {
      if (common !== undefined) {
        problems.push({
          item: item.label,
          key: 'type',
          line: item.line,
          message: `a second type: common item; merge its keys into the first one (${commonLabel}), only one is allowed`,
        })
        continue
      }
      common = item.settings
      commonLabel = item.label
      continue
    }
    const name = item.integration.name
    const seen = names.get(name) ?? 0
    if (seen === 1) {
      problems.push({ item: name, key: 'name', line: item.line, message: 'is used by more than one integration; give each a unique name' })
    }
    names.set(name, seen + 1)
    integrations.push(item.integration)
  }
  return { common: common ?? defaultCommonSettings(), integrations, notices }
}

/**
 * Parses and validates the text of a cfg.yaml (the seed's format), substituting `$VAR` values from
 * `env`. Throws a ConfigError listing every problem found; `source` names the file in messages.
 */
export function parseConfig(text: string, env: NodeJS.ProcessEnv, source = 'cfg.yaml'): Config {
  const problems: ConfigProblem[] = []
  const rawItems = parseItems(text, source, problems)
  const items: ParsedItem[] = []
  const notices: string[] = []
  for (const [index, raw] of (rawItems?.items ?? []).entries()) {
    const item = readItem(raw, index + 1, rawItems?.locations[index], env, problems, notices)
    if (item) items.push(item)
  }
  const config = assemble(items, problems, notices)
  // In file order, so the list reads top to bottom alongside the file (the sort is stable).
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0))
  if (problems.length > 0) throw new ConfigError(problems, `Invalid config file ${source}`)
  return config
}

/**
 * Reads and validates the config file at `path` (see parseConfig). A file that cannot be read is a
 * ConfigError naming the path and the variables that choose it.
 */
export async function loadConfigFile(path: string, env: NodeJS.ProcessEnv): Promise<Config> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable'
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'EACCES'
            ? 'is not readable (permission denied)'
            : `cannot be read (${code})`
    const message = `the config file ${why}; mount your cfg.yaml there, or set AQUAALERT_CFG (alias POSTEE_CFG) to its path`
    throw new ConfigError([{ item: path, key: '', message }], 'Cannot load the config')
  }
  return parseConfig(text, env, path)
}
