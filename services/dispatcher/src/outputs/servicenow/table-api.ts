import { DeliveryError, Secret, type DeliveryContext, type ServiceNowIntegration } from '@postee/shared'
import { callTarget, type OutputRequest } from '../http.js'
import type { ServiceNowRecord } from './servicenow-record.js'

/**
 * The two Table API calls the ServiceNow output makes (Table API reference,
 * https://www.servicenow.com/docs/r/australia/api-reference/rest-apis/c_TableAPI.html, also
 * github.com/ServiceNow/ServiceNowDocs markdown/api-reference/rest-apis/c_TableAPI.md):
 * `GET /api/now/table/{table}?sysparm_query=...` answers 200 `{"result": [...]}` and
 * `POST /api/now/table/{table}` answers 201 `{"result": {...}}`; errors answer
 * `{"error": {"message", "detail"}, "status": "failure"}` (REST API HTTP response codes).
 */
export interface TableApi {
  /** The sys_id of the record carrying this correlation id, if one exists. */
  find(ctx: DeliveryContext, correlationId: string): Promise<string | undefined>
  /** Creates the record and returns its sys_id (undefined if the answer did not name it). */
  create(ctx: DeliveryContext, record: ServiceNowRecord): Promise<string | undefined>
}

interface Row {
  readonly sys_id?: unknown
  readonly correlation_id?: unknown
}

/** The Table API of one integration's instance and table, with Basic auth. */
export function tableApi(integration: ServiceNowIntegration): TableApi {
  const endpoint = `${integration.instanceUrl}/api/now/table/${encodeURIComponent(integration.table)}`
  const basic = Buffer.from(`${integration.user}:${integration.password.reveal()}`, 'utf8').toString('base64')
  const call = (ctx: DeliveryContext, request: Pick<OutputRequest, 'method' | 'url' | 'body'>, extra: Record<string, string> = {}) =>
    callJson(
      ctx,
      {
        ...request,
        headers: { authorization: `Basic ${basic}`, accept: 'application/json', ...extra },
        tlsVerify: integration.tlsVerify,
        // The encoded header is a secret too: a proxy that echoes headers must not leak it.
        secrets: [integration.password, new Secret(basic)],
      },
      integration.table,
    )
  return {
    async find(ctx, correlationId) {
      const url = new URL(endpoint)
      url.searchParams.set('sysparm_query', `correlation_id=${correlationId}`)
      url.searchParams.set('sysparm_fields', 'sys_id,correlation_id')
      url.searchParams.set('sysparm_limit', '1')
      const rows = (await call(ctx, { method: 'GET', url: url.toString() })) as { result?: unknown }
      const row = Array.isArray(rows.result) ? (rows.result[0] as Row | undefined) : undefined
      // An instance ignores a query on a field the table lacks and returns any record, so a hit
      // counts only when it really carries our correlation id.
      return row?.correlation_id === correlationId && typeof row.sys_id === 'string' ? row.sys_id : undefined
    },
    async create(ctx, record) {
      const url = new URL(endpoint)
      url.searchParams.set('sysparm_fields', 'sys_id,number')
      const created = (await call(
        ctx,
        { method: 'POST', url: url.toString(), body: JSON.stringify(record) },
        { 'content-type': 'application/json' },
      )) as {
        result?: Row
      }
      return typeof created.result?.sys_id === 'string' ? created.result.sys_id : undefined
    },
  }
}

async function callJson(ctx: DeliveryContext, request: OutputRequest, table: string): Promise<unknown> {
  const { body } = await callTarget(ctx, request).catch((error: unknown) => {
    throw explainServiceNowError(error, table)
  })
  try {
    return JSON.parse(body) as unknown
  } catch {
    // A hibernating developer instance answers 200 with an HTML page; it comes back once woken.
    throw new DeliveryError(
      `${request.method} answered without the Table API's JSON (${JSON.stringify(body.slice(0, 120))}); check \`instance\` and wake the instance if it hibernates`,
      'unknown',
      true,
    )
  }
}

const HINTS: Readonly<Record<number, string>> = {
  401: 'check `user` and `password`',
  403: 'give the user roles that may read and create records in the table (e.g. itil for incident)',
  404: 'check `instance` and `board` (the table name)',
}

/**
 * Rewrites a DeliveryError from `callTarget` whose detail is ServiceNow's error JSON into its
 * `message` and `detail` plus how to fix it; any other error is returned unchanged.
 */
export function explainServiceNowError(error: unknown, table: string): unknown {
  if (!(error instanceof DeliveryError)) return error
  const match = /^HTTP (\d{3}): ([\s\S]*)$/.exec(error.message)
  const failure = match ? serviceNowError(match[2]!) : undefined
  if (!match || failure === undefined) return error
  const status = Number(match[1])
  const hint = /invalid table/i.test(failure) ? `check \`board\`: ${JSON.stringify(table)} is not a table` : HINTS[status]
  return new DeliveryError(`HTTP ${status}: ${failure}${hint ? `; ${hint}` : ''}`, error.reason, error.retryable, error.retryAfterMs, {
    cause: error,
  })
}

function serviceNowError(text: string): string | undefined {
  try {
    const { error } = JSON.parse(text) as { error?: { message?: unknown; detail?: unknown } }
    if (typeof error?.message !== 'string') return undefined
    return typeof error.detail === 'string' && error.detail !== '' ? `${error.message}: ${error.detail}` : error.message
  } catch {
    return undefined
  }
}
