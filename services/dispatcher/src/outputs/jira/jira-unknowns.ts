import { DeliveryError, type JiraUnknownField } from '@postee/shared'
import type { JiraFieldInfo, JiraFieldMetadata } from './jira-metadata.js'
import { ValueProblem, typedValue, type ValueTarget } from './jira-values.js'

/** Where the unknowns go, for the messages that say what to fix. */
export interface UnknownsTarget extends ValueTarget {
  readonly projectKey: string
  readonly issueType: string
}

/**
 * Maps `unknowns` (display name → text) to `{ fieldId: typed value }`. A name is matched exactly,
 * then ignoring case, against the create screen of the project and issue type (the fields Jira
 * will accept), then against every field to tell "does not exist" from "not on the screen". Both
 * are permanent config errors: no retry can make Jira accept them.
 */
export function mapUnknowns(
  unknowns: readonly JiraUnknownField[],
  metadata: JiraFieldMetadata,
  target: UnknownsTarget,
): Record<string, unknown> {
  const fields: Record<string, unknown> = {}
  for (const unknown of unknowns) {
    const field = findField(unknown.name, metadata, target)
    // The global list carries the schema when the screen entry lacks it (older Data Center builds).
    const schema = field.schema ?? metadata.fields.find((f) => f.id === field.id)?.schema
    try {
      fields[field.id] = typedValue(unknown.value, { schema, allowedValues: field.allowedValues }, unknown.hint, target)
    } catch (error) {
      if (!(error instanceof ValueProblem)) throw error
      throw configError(`unknowns: "${unknown.name}" (${field.id}): ${error.message}; fix its value in cfg.yaml`)
    }
  }
  return fields
}

function findField(name: string, metadata: JiraFieldMetadata, target: UnknownsTarget): JiraFieldInfo {
  const screen = metadata.screen ?? metadata.fields
  const onScreen = byName(screen, name)
  if (onScreen) return onScreen
  const anywhere = byName(metadata.fields, name)
  if (anywhere && metadata.screen) {
    throw configError(
      `unknowns: the field "${anywhere.name}" (${anywhere.id}) is not on the create screen of ${target.projectKey} ${target.issueType}; add it to that screen in Jira, or remove it from unknowns`,
    )
  }
  const names = [...new Set(screen.map((f) => f.name))]
  const closest = closestName(name, names)
  throw configError(
    `unknowns: Jira has no field named "${name}"${closest ? ` (closest: "${closest}")` : ''}; fields of ${target.projectKey} ${target.issueType}: ${names.slice(0, 40).join(', ')}${names.length > 40 ? ', …' : ''}; fix the name in cfg.yaml (the key without its type suffix is the field's display name)`,
  )
}

function byName(fields: readonly JiraFieldInfo[], name: string): JiraFieldInfo | undefined {
  const wanted = name.trim()
  return fields.find((f) => f.name === wanted) ?? fields.find((f) => f.name.toLowerCase() === wanted.toLowerCase())
}

/** The name nearest to `name` by edit distance, when it is near enough to be a likely typo. */
export function closestName(name: string, names: readonly string[]): string | undefined {
  const wanted = name.toLowerCase()
  let best: { name: string; distance: number } | undefined
  for (const candidate of names) {
    const distance = editDistance(wanted, candidate.toLowerCase())
    if (!best || distance < best.distance) best = { name: candidate, distance }
  }
  return best && best.distance <= Math.max(2, Math.floor(wanted.length / 3)) ? best.name : undefined
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i]
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]!
}

function configError(message: string): DeliveryError {
  return new DeliveryError(message, 'config', false)
}
