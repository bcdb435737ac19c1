/**
 * What Jira checks on `POST /rest/api/{2|3}/issue`, for the fake Jira: required fields, the
 * summary and description limits, ADF on v3, labels, users, and each custom field's value by its
 * schema. Errors come back the way Jira words them, in its `{ errorMessages, errors }` body.
 * https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-post
 * https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/
 * https://confluence.atlassian.com/adminjiraserver/configuring-advanced-settings-938847059.html (32,767)
 */

/** A field of the fake instance, as `GET /field` and the create metadata describe it. */
export interface FakeField {
  readonly id: string
  readonly name: string
  readonly schema?: { readonly type: string; readonly items?: string; readonly custom?: string; readonly system?: string }
  readonly allowedValues?: readonly { readonly id: string; readonly value: string }[]
}

/** A user of the fake instance: Data Center refers to `name`, Cloud to `accountId`. */
export interface FakeUser {
  readonly name: string
  readonly accountId: string
  readonly emailAddress: string
  readonly displayName: string
}

/** What the create check needs to know about the instance. */
export interface CreateContext {
  readonly apiVersion: 2 | 3
  readonly cloud: boolean
  readonly projectKey: string
  readonly issueTypes: readonly { readonly id: string; readonly name: string }[]
  readonly priorities: readonly string[]
  readonly fields: readonly FakeField[]
  /** Field ids on the create screen. */
  readonly screen: ReadonlySet<string>
  readonly users: readonly FakeUser[]
  /** Sprint ids an issue may be put in (active and future sprints). */
  readonly openSprints: ReadonlySet<number>
}

/** Jira's error body. */
export interface JiraErrors {
  readonly errorMessages: string[]
  readonly errors: Record<string, string>
}

export type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

export const SYSTEM_FIELDS = new Set([
  'project',
  'issuetype',
  'summary',
  'description',
  'priority',
  'labels',
  'assignee',
  'reporter',
  'components',
  'fixVersions',
  'duedate',
])
const MAX_SUMMARY = 255
const MAX_TEXT = 32_767
const SPRINT = 'com.pyxis.greenhopper.jira:gh-sprint'
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{4}$/

/** The `errors` of a create request (empty when Jira would create the issue). */
export function checkCreate(fields: unknown, ctx: CreateContext): Record<string, string> {
  const errors: Record<string, string> = {}
  if (!isObject(fields)) return { fields: 'Issue fields must be an object' }
  const project = fields['project']
  if (!isObject(project)) errors['project'] = 'project is required'
  else if (project['key'] !== ctx.projectKey) errors['project'] = 'valid project is required'
  const type = fields['issuetype']
  if (!isObject(type)) errors['issuetype'] = 'issue type is required'
  else if (!ctx.issueTypes.some((t) => t.name === type['name'] || t.id === type['id'])) errors['issuetype'] = 'valid issue type is required'
  const summary = fields['summary']
  if (typeof summary !== 'string' || summary.trim() === '') errors['summary'] = 'You must specify a summary of the issue.'
  else if (summary.length > MAX_SUMMARY) errors['summary'] = 'Summary must be less than 255 characters.'
  else if (/[\r\n]/.test(summary)) errors['summary'] = 'The summary is invalid because it contains newline characters.'
  if ('description' in fields) {
    const problem = textProblem(fields['description'], ctx.apiVersion)
    if (problem) errors['description'] = problem
  }
  const priority = fields['priority']
  if (priority !== undefined && (!isObject(priority) || !ctx.priorities.includes(String(priority['name'])))) {
    errors['priority'] = `Priority name '${isObject(priority) ? String(priority['name']) : ''}' is not valid`
  }
  const labels = labelProblem(fields['labels'])
  if (labels) errors['labels'] = labels
  if ('assignee' in fields) {
    const problem = userProblem(fields['assignee'], ctx)
    if (problem) errors['assignee'] = problem
  }
  for (const [id, value] of Object.entries(fields)) {
    if (SYSTEM_FIELDS.has(id)) continue
    const field = ctx.fields.find((f) => f.id === id)
    if (!field || !ctx.screen.has(id)) {
      errors[id] = `Field '${id}' cannot be set. It is not on the appropriate screen, or unknown.`
      continue
    }
    const problem = customProblem(field, value, ctx)
    if (problem) errors[id] = problem
  }
  return errors
}

function textProblem(value: unknown, apiVersion: 2 | 3): string | undefined {
  if (apiVersion === 2) {
    if (typeof value !== 'string') return 'Operation value must be a string'
    return value.length > MAX_TEXT ? 'The entered text is too long. It exceeds the allowed limit of 32,767 characters.' : undefined
  }
  const problem = adfProblem(value)
  if (problem) return `Operation value must be an Atlassian Document (see the Atlassian Document Format): ${problem}`
  return JSON.stringify(value).length > MAX_TEXT
    ? 'The entered text is too long. It exceeds the allowed limit of 32,767 characters.'
    : undefined
}

function labelProblem(labels: unknown): string | undefined {
  if (labels === undefined) return undefined
  if (!Array.isArray(labels)) return 'Operation value must be an array'
  for (const label of labels) {
    if (typeof label !== 'string' || label === '') return 'Labels must be non-empty strings.'
    if (/\s/.test(label)) return `The label '${label}' contains spaces which is invalid.`
    if (label.length > 255) return `The label '${label.slice(0, 20)}…' exceeds the 255 character limit.`
  }
  return undefined
}

function userProblem(value: unknown, ctx: CreateContext): string | undefined {
  if (value === null) return undefined
  if (!isObject(value)) return 'data was not an object'
  if (ctx.cloud) {
    if (typeof value['accountId'] !== 'string') return "Jira Cloud refers to users by accountId; 'name' is not supported (GDPR)."
    return ctx.users.some((u) => u.accountId === value['accountId'])
      ? undefined
      : 'Specified user does not exist or you do not have required permissions'
  }
  return ctx.users.some((u) => u.name === value['name']) ? undefined : `User '${String(value['name'])}' does not exist.`
}

function customProblem(field: FakeField, value: unknown, ctx: CreateContext): string | undefined {
  const schema = field.schema
  if (!schema || schema.type === 'any') return undefined
  if (schema.custom === SPRINT) {
    if (typeof value !== 'number') return 'Number value expected as the Sprint id.'
    return ctx.openSprints.has(value) ? undefined : `Sprint with id ${value} does not exist or is closed.`
  }
  const option = (v: unknown): string | undefined =>
    isObject(v) && field.allowedValues?.some((a) => a.value === v['value'])
      ? undefined
      : `Option value '${isObject(v) ? String(v['value']) : String(v)}' is not valid`
  switch (schema.type) {
    case 'string':
      if (schema.custom?.endsWith(':textarea') && ctx.apiVersion === 3)
        return adfProblem(value) ? 'Operation value must be an Atlassian Document (see the Atlassian Document Format)' : undefined
      if (typeof value !== 'string') return 'Operation value must be a string'
      if (schema.custom?.endsWith(':url') && !/^https?:\/\/\S+$/.test(value)) return 'Not a valid URL'
      return value.length > MAX_TEXT ? 'The entered text is too long.' : undefined
    case 'number':
      return typeof value === 'number' ? undefined : 'Operation value must be a number'
    case 'date':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? undefined : `Error parsing date string: ${String(value)}`
    case 'datetime':
      return typeof value === 'string' && DATETIME.test(value) ? undefined : `Error parsing time: ${String(value)}`
    case 'option':
      return option(value)
    case 'user':
      return userProblem(value, ctx)
    case 'array':
      if (!Array.isArray(value)) return 'Operation value must be an array'
      if (schema.items === 'option') return value.map(option).find(Boolean)
      if (schema.items === 'user') return value.map((v) => userProblem(v, ctx)).find(Boolean)
      if (schema.items === 'string')
        return value.every((v) => typeof v === 'string' && !/\s/.test(v)) ? undefined : 'Values must be strings without spaces'
      return undefined
    default:
      return undefined
  }
}

const BLOCKS = new Set(['paragraph', 'heading', 'table', 'rule', 'bulletList', 'orderedList', 'codeBlock', 'blockquote', 'panel'])
const INLINE = new Set(['text', 'hardBreak', 'mention', 'emoji', 'inlineCard'])
const MARKS = new Set(['strong', 'em', 'link', 'code', 'strike', 'underline'])

/** Why a value is not a valid ADF document (undefined when it is one). */
export function adfProblem(doc: unknown): string | undefined {
  if (!isObject(doc) || doc['type'] !== 'doc') return 'the root must be { type: "doc" }'
  if (doc['version'] !== 1) return 'the doc version must be 1'
  if (!Array.isArray(doc['content'])) return 'the doc must have content'
  for (const node of doc['content']) {
    const problem = nodeProblem(node, BLOCKS)
    if (problem) return problem
  }
  return undefined
}

function nodeProblem(node: unknown, allowed: ReadonlySet<string>): string | undefined {
  if (!isObject(node) || typeof node['type'] !== 'string') return 'a node without a type'
  const type = node['type']
  if (!allowed.has(type)) return `a ${type} node is not allowed here`
  const content = node['content']
  if (content !== undefined && !Array.isArray(content)) return `${type} content must be an array`
  const children = (content ?? []) as unknown[]
  const each = (kinds: ReadonlySet<string>, required: boolean): string | undefined =>
    required && children.length === 0 ? `${type} needs content` : children.map((c) => nodeProblem(c, kinds)).find(Boolean)
  switch (type) {
    case 'text':
      if (typeof node['text'] !== 'string' || node['text'] === '') return 'a text node needs non-empty text'
      return markProblem(node['marks'])
    case 'paragraph':
      return each(INLINE, false)
    case 'heading': {
      const level = isObject(node['attrs']) ? node['attrs']['level'] : undefined
      return typeof level === 'number' && level >= 1 && level <= 6 ? each(INLINE, false) : 'a heading needs attrs.level 1–6'
    }
    case 'rule':
      return children.length === 0 ? undefined : 'a rule has no content'
    case 'table':
      return each(new Set(['tableRow']), true)
    case 'tableRow':
      return each(new Set(['tableHeader', 'tableCell']), true)
    case 'tableHeader':
    case 'tableCell':
      return each(BLOCKS, true)
    case 'bulletList':
    case 'orderedList':
      return each(new Set(['listItem']), true)
    case 'listItem':
      return each(BLOCKS, true)
    default:
      return undefined
  }
}

function markProblem(marks: unknown): string | undefined {
  if (marks === undefined) return undefined
  if (!Array.isArray(marks)) return 'marks must be an array'
  for (const mark of marks) {
    if (!isObject(mark) || !MARKS.has(String(mark['type']))) return `unknown mark ${JSON.stringify(mark)}`
    if (mark['type'] === 'link' && !(isObject(mark['attrs']) && typeof mark['attrs']['href'] === 'string'))
      return 'a link mark needs attrs.href'
  }
  return undefined
}
