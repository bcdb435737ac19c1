import type { JiraUnknownField } from '@postee/shared'
import type { JiraAllowedValue, JiraSchema } from './jira-metadata.js'

/**
 * Turns the text of an `unknowns` entry into the JSON Jira expects for the field, by the field's
 * schema when Jira gives one, else by the seed's suffix hint. Pure: a value that cannot be typed
 * throws a ValueProblem, which the caller turns into a DeliveryError naming the field.
 *
 * Value shapes per field type (Cloud: "Field input formats"; Data Center: "JIRA REST API Example -
 * Create Issue", the custom field examples):
 * https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/#field-input-formats
 * https://developer.atlassian.com/server/jira/platform/jira-rest-api-example-create-issue-7897248/
 */

/** Where the value goes: the API version decides text vs ADF, the deployment name vs accountId. */
export interface ValueTarget {
  readonly apiVersion: 2 | 3
  readonly cloud: boolean
}

/** Why a value does not fit its field, phrased to finish "unknowns: <field>: …". */
export class ValueProblem extends Error {}

const TEXTAREA = 'com.atlassian.jira.plugin.system.customfieldtypes:textarea'

/** The JSON value of one unknowns entry for a field with this schema (or, without one, this hint). */
export function typedValue(
  raw: string,
  field: { readonly schema: JiraSchema | undefined; readonly allowedValues: readonly JiraAllowedValue[] | undefined },
  hint: JiraUnknownField['hint'],
  target: ValueTarget,
): unknown {
  const { schema, allowedValues } = field
  if (!schema || schema.type === 'any') return byHint(raw, hint, target)
  switch (schema.type) {
    case 'string':
      // On v3 a multi-line text field takes ADF, like the description; a single-line one a string.
      return schema.custom === TEXTAREA && target.apiVersion === 3 ? adfText(raw) : raw
    case 'number':
      return numberOf(raw)
    case 'date':
      return dateOf(raw)
    case 'datetime':
      return dateTimeOf(raw)
    case 'option':
    case 'option-with-child':
      return { value: allowed(raw.trim(), allowedValues) }
    case 'user':
      return userRef(raw.trim(), target)
    case 'array':
      return arrayOf(listOf(raw), schema.items, allowedValues, target)
    case 'version':
    case 'component':
    case 'group':
    case 'priority':
    case 'resolution':
    case 'securitylevel':
      return { name: raw.trim() }
    default:
      return byHint(raw, hint, target)
  }
}

function byHint(raw: string, hint: JiraUnknownField['hint'], target: ValueTarget): unknown {
  switch (hint) {
    case 'number':
      return numberOf(raw)
    case 'multi-value':
      // Without a schema the most common multi-value custom field is a multi-select list.
      return listOf(raw).map((value) => ({ value }))
    case 'multi-line-text':
      return target.apiVersion === 3 ? adfText(raw) : raw
    case 'date-time':
      return dateTimeOf(raw)
    case 'url':
    case 'text':
      return raw
  }
}

function arrayOf(
  items: string[],
  type: string | undefined,
  allowedValues: readonly JiraAllowedValue[] | undefined,
  target: ValueTarget,
): unknown[] {
  switch (type) {
    case 'option':
      return items.map((value) => ({ value: allowed(value, allowedValues) }))
    case 'user':
      return items.map((user) => userRef(user, target))
    case 'version':
    case 'component':
    case 'group':
      return items.map((name) => ({ name }))
    default:
      return items
  }
}

/** `a, b ,c` → `['a', 'b', 'c']`; empty entries are dropped. */
function listOf(raw: string): string[] {
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
}

function numberOf(raw: string): number {
  const text = raw.trim()
  const value = Number(text)
  if (text === '' || !Number.isFinite(value)) throw new ValueProblem(`"${raw}" is not a number; write digits such as 3 or 2.5`)
  return value
}

function parseDate(raw: string): Date {
  const date = new Date(raw.trim())
  if (Number.isNaN(date.getTime())) {
    throw new ValueProblem(`"${raw}" is not a date; write an ISO 8601 date such as 2026-11-26 or 2026-11-26T12:00:00+01:00`)
  }
  return date
}

/** Jira's date fields take `yyyy-MM-dd`. */
function dateOf(raw: string): string {
  const text = raw.trim()
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    // V8 rolls 2026-02-31 over to March 3; Jira refuses it, so it is refused here with a better message.
    if (parseDate(text).toISOString().slice(0, 10) !== text) throw new ValueProblem(`"${raw}" is not a date in the calendar`)
    return text
  }
  return parseDate(text).toISOString().slice(0, 10)
}

/**
 * Jira's datetime fields take `yyyy-MM-dd'T'HH:mm:ss.SSSZ` (offset without a colon, e.g. `+0000`);
 * a value already in that form keeps its offset, any other ISO 8601 value is written in UTC.
 */
function dateTimeOf(raw: string): string {
  const text = raw.trim()
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{4}$/.test(text)) {
    parseDate(`${text.slice(0, -2)}:${text.slice(-2)}`)
    return text
  }
  return parseDate(text).toISOString().replace('Z', '+0000')
}

function allowed(value: string, allowedValues: readonly JiraAllowedValue[] | undefined): string {
  if (!allowedValues || allowedValues.length === 0) return value
  const names = allowedValues.map((option) => option.value ?? option.name).filter((v): v is string => typeof v === 'string')
  if (names.length === 0 || names.includes(value)) return value
  const folded = names.find((name) => name.toLowerCase() === value.toLowerCase())
  if (folded) return folded
  throw new ValueProblem(`"${value}" is not one of its options (${names.slice(0, 30).join(', ')})`)
}

const ACCOUNT_ID = /^(?:[0-9a-f]{24}|\d+:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i

/** Whether a text is a Jira Cloud account id (the only user reference Cloud accepts). */
export function isAccountId(text: string): boolean {
  return ACCOUNT_ID.test(text)
}

function userRef(user: string, target: ValueTarget): { accountId: string } | { name: string } {
  if (!target.cloud) return { name: user }
  if (!isAccountId(user)) throw new ValueProblem(`"${user}" is not an account id; Jira Cloud user fields take the user's accountId`)
  return { accountId: user }
}

/** Plain text as an ADF document: one paragraph per line, blank lines kept as empty paragraphs. */
export function adfText(text: string): { type: 'doc'; version: 1; content: unknown[] } {
  const paragraph = (line: string): unknown =>
    line.length > 0 ? { type: 'paragraph', content: [{ type: 'text', text: line }] } : { type: 'paragraph' }
  return { type: 'doc', version: 1, content: text.split(/\r?\n/).map(paragraph) }
}
