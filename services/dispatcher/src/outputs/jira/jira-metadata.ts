import { DeliveryError, type DeliveryContext } from '@postee/shared'
import type { JiraClient } from './jira-client.js'

/** A field's type as Jira states it (`schema` of the field list and of the create metadata). */
export interface JiraSchema {
  readonly type: string
  /** The element type of an `array` field: `string`, `option`, `user`, `version`, `component`… */
  readonly items?: string
  /** The plugin key of a custom field, e.g. `com.atlassian.jira.plugin.system.customfieldtypes:textarea`. */
  readonly custom?: string
  readonly system?: string
}

/** One value a select-like field accepts. */
export interface JiraAllowedValue {
  readonly id?: string
  readonly value?: string
  readonly name?: string
}

/** One Jira field: its id (`customfield_10010`), display name, and type when Jira gives one. */
export interface JiraFieldInfo {
  readonly id: string
  readonly name: string
  readonly schema: JiraSchema | undefined
  readonly allowedValues: readonly JiraAllowedValue[] | undefined
}

/** Every field of the instance, and the fields of the project's create screen for the issue type. */
export interface JiraFieldMetadata {
  readonly fields: readonly JiraFieldInfo[]
  /** Undefined when only the field list was asked for. */
  readonly screen: readonly JiraFieldInfo[] | undefined
}

/** Loads field metadata, remembering it for `ttlMs` so a busy output does not ask on every send. */
export interface JiraMetadataCache {
  load(ctx: DeliveryContext, options: { readonly screen: boolean }): Promise<JiraFieldMetadata>
}

/** Where the metadata lives and how long it is trusted. */
export interface JiraMetadataOptions {
  readonly projectKey: string
  readonly issueType: string
  readonly ttlMs: number
  readonly now: () => number
}

interface Timed<T> {
  readonly value: T
  readonly at: number
}

/**
 * A per-output cache of the field list and the create-screen fields. Results are cached, not
 * in-flight promises: a shared promise would carry the first caller's abort signal to the others.
 * A failed load is not cached, so the next attempt asks again.
 */
export function createMetadataCache(client: JiraClient, options: JiraMetadataOptions): JiraMetadataCache {
  let fields: Timed<readonly JiraFieldInfo[]> | undefined
  let screen: Timed<readonly JiraFieldInfo[]> | undefined
  const fresh = <T>(entry: Timed<T> | undefined): entry is Timed<T> => entry !== undefined && options.now() - entry.at < options.ttlMs
  return {
    async load(ctx, { screen: wantScreen }) {
      if (!fresh(fields)) fields = { value: await loadFieldList(ctx, client), at: options.now() }
      if (wantScreen && !fresh(screen)) screen = { value: await loadScreen(ctx, client, options), at: options.now() }
      return { fields: fields.value, screen: wantScreen ? screen!.value : undefined }
    },
  }
}

interface RawField {
  readonly id?: string
  readonly fieldId?: string
  readonly key?: string
  readonly name?: string
  readonly schema?: JiraSchema
  readonly allowedValues?: readonly JiraAllowedValue[]
}

function fieldInfo(raw: RawField): JiraFieldInfo | undefined {
  const id = raw.fieldId ?? raw.id ?? raw.key
  if (!id || typeof raw.name !== 'string') return undefined
  return { id, name: raw.name, schema: raw.schema?.type ? raw.schema : undefined, allowedValues: raw.allowedValues }
}

// GET /rest/api/{2|3}/field: every system and custom field with `id`, `name` and `schema`.
// https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-fields/#api-rest-api-3-field-get
// https://developer.atlassian.com/server/jira/platform/rest/v10005/api-group-field/
async function loadFieldList(ctx: DeliveryContext, client: JiraClient): Promise<readonly JiraFieldInfo[]> {
  const raw = await client.get<RawField[]>(ctx, client.api('/field'))
  return (Array.isArray(raw) ? raw : []).map(fieldInfo).filter((f): f is JiraFieldInfo => f !== undefined)
}

// The per-project, per-issue-type create metadata of Jira 9+ and Cloud; `createmeta?expand=
// projects.issuetypes.fields` was removed in Jira 9.0 (JRASERVER-74965) and deprecated on Cloud.
// Data Center pages as `{ values, isLast }`; Cloud as `{ issueTypes | fields, total }`.
// https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-createmeta-projectidorkey-issuetypes-get
// https://confluence.atlassian.com/jiracore/createmeta-rest-endpoint-to-be-removed-975040986.html
async function loadScreen(ctx: DeliveryContext, client: JiraClient, options: JiraMetadataOptions): Promise<readonly JiraFieldInfo[]> {
  const base = client.api(`/issue/createmeta/${encodeURIComponent(options.projectKey)}/issuetypes`)
  const types = await pages<{ id?: string; name?: string }>(ctx, client, base, (page) => page['values'] ?? page['issueTypes'])
  const wanted = options.issueType.toLowerCase()
  const type = types.find((t) => t.name?.toLowerCase() === wanted)
  if (!type?.id) {
    const names = types
      .map((t) => t.name)
      .filter(Boolean)
      .join(', ')
    throw new DeliveryError(
      `issuetype "${options.issueType}" is not an issue type of project ${options.projectKey} (it has: ${names || 'none you may create'}); fix issuetype in cfg.yaml`,
      'config',
      false,
    )
  }
  const raw = await pages<RawField>(
    ctx,
    client,
    `${base}/${encodeURIComponent(type.id)}`,
    (page) => page['values'] ?? page['fields'] ?? page['results'],
  )
  return raw.map(fieldInfo).filter((f): f is JiraFieldInfo => f !== undefined)
}

const PAGE_SIZE = 100
const MAX_PAGES = 50

/** Reads every page of a `startAt`/`maxResults` paged Jira resource. */
export async function pages<T>(
  ctx: DeliveryContext,
  client: JiraClient,
  path: string,
  items: (page: Record<string, T[] | undefined>) => T[] | undefined,
  query: Readonly<Record<string, string | number>> = {},
): Promise<T[]> {
  const all: T[] = []
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const body = await client.get<Record<string, unknown>>(ctx, path, { ...query, startAt: all.length, maxResults: PAGE_SIZE })
    const rows = items(body as Record<string, T[] | undefined>) ?? []
    all.push(...rows)
    const total = typeof body['total'] === 'number' ? body['total'] : undefined
    if (rows.length === 0 || body['isLast'] === true || (total !== undefined && all.length >= total)) break
    if (body['isLast'] === undefined && total === undefined && rows.length < PAGE_SIZE) break
  }
  return all
}
