import type { FakeHandler, FakeResponse, RecordedRequest } from '@postee/testkit'

/**
 * A ServiceNow instance's Table API as far as Postee uses it. It answers with the Table API's bodies
 * (200 `{result: [...]}` for a query, 201 `{result: {...}}` for a create, `{error: {message,
 * detail}, status: "failure"}` otherwise), ignores unknown fields in a record and unknown fields in
 * an encoded query as an instance does, and keeps the records it created so a later query finds
 * them. It is stricter than an instance in one way: a value over its dictionary max_length is
 * refused (an instance cuts it silently), so a test notices.
 */
export interface FakeTable {
  /** Field name → max_length; fields not listed do not exist on the table. */
  readonly fields: Readonly<Record<string, number>>
  /** Fields a create must set. */
  readonly required: readonly string[]
  readonly prefix: string
}

/** The fields of a task-based table such as incident (base-system max_length values). */
export const INCIDENT: FakeTable = {
  fields: { short_description: 160, description: 4000, work_notes: 4000, correlation_id: 100, correlation_display: 100 },
  required: ['short_description', 'correlation_id'],
  prefix: 'INC',
}

/** A custom table that does not extend task: no correlation id, no work notes. */
export const CUSTOM_TABLE: FakeTable = {
  fields: { short_description: 160, description: 4000 },
  required: ['short_description'],
  prefix: 'SCAN',
}

/** What the next create does instead of answering 201. */
export type CreateScript = 'store-then-500' | 'fail-500' | 'store-then-hang'

/** The fake instance: its tables, its records, and a script for the next create. */
export class TableApiFake {
  readonly records: Record<string, string>[] = []
  nextCreate: CreateScript | undefined

  constructor(
    private readonly user: string,
    private readonly password: string,
    private readonly tables: Readonly<Record<string, FakeTable>> = { incident: INCIDENT },
  ) {}

  /** The HttpFake handler. */
  readonly handler: FakeHandler = (request) => {
    const url = new URL(request.path, 'http://instance')
    const table = /^\/api\/now\/table\/([^/]+)$/.exec(url.pathname)?.[1]
    if (table === undefined) return failure(400, 'Requested URI does not represent any resource', `${url.pathname} is not a Table API path`)
    const denied = this.checkHeaders(request)
    if (denied) return denied
    const definition = this.tables[decodeURIComponent(table)]
    if (definition === undefined) return failure(400, `Invalid table ${decodeURIComponent(table)}`, null)
    if (request.method === 'GET') return this.query(definition, url.searchParams)
    if (request.method === 'POST') return this.create(definition, request, url.searchParams)
    return failure(405, 'Method not Supported', `${request.method} is not supported here`)
  }

  private checkHeaders(request: RecordedRequest): FakeResponse | undefined {
    const expected = `Basic ${Buffer.from(`${this.user}:${this.password}`).toString('base64')}`
    if (request.headers.authorization !== expected) return failure(401, 'User Not Authenticated', 'Required to provide Auth information')
    if (request.headers.accept !== 'application/json')
      return failure(406, 'Not Acceptable', `accept ${request.headers.accept ?? '(none)'}; this client expects application/json`)
    return undefined
  }

  private query(table: FakeTable, params: URLSearchParams): FakeResponse {
    // Conditions on fields the table lacks are ignored, as an instance does by default.
    const conditions = (params.get('sysparm_query') ?? '')
      .split('^')
      .map((part) => /^([a-z_]+)=(.*)$/.exec(part))
      .filter((m): m is RegExpExecArray => m !== null && m[1]! in table.fields)
    const hits = this.records.filter((r) => conditions.every((m) => r[m[1]!] === m[2]))
    const limit = Number(params.get('sysparm_limit') ?? 10_000)
    return { status: 200, body: { result: hits.slice(0, limit).map((r) => project(r, params.get('sysparm_fields'))) } }
  }

  private create(table: FakeTable, request: RecordedRequest, params: URLSearchParams): FakeResponse {
    if (!(request.headers['content-type'] ?? '').startsWith('application/json'))
      return failure(415, 'Unsupported Media Type', 'send application/json')
    let body: unknown
    try {
      body = JSON.parse(request.body)
    } catch {
      return failure(400, 'Exception while reading request', 'The payload is not valid JSON.')
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return failure(400, 'Exception while reading request', 'Expected a JSON object')
    const problem = invalidField(table, body as Record<string, unknown>)
    if (problem) return failure(400, 'Invalid record', problem)
    const script = this.nextCreate
    this.nextCreate = undefined
    if (script === 'fail-500') return failure(500, 'Internal Server Error', 'Transaction cancelled')
    const record = this.store(table, body as Record<string, string>)
    if (script === 'store-then-500') return failure(500, 'Internal Server Error', 'Transaction cancelled after insert')
    if (script === 'store-then-hang') return { status: 201, hang: true }
    return {
      status: 201,
      headers: { location: `http://instance/api/now/table/x/${record['sys_id']}` },
      body: { result: project(record, params.get('sysparm_fields')) },
    }
  }

  private store(table: FakeTable, values: Record<string, string>): Record<string, string> {
    const n = this.records.length + 1
    const known = Object.fromEntries(Object.entries(values).filter(([field]) => field in table.fields))
    const record = { ...known, sys_id: n.toString(16).padStart(32, 'a'), number: `${table.prefix}${String(10000 + n).padStart(7, '0')}` }
    this.records.push(record)
    return record
  }
}

function invalidField(table: FakeTable, body: Record<string, unknown>): string | undefined {
  for (const field of table.required) if (typeof body[field] !== 'string' || body[field] === '') return `${field} is mandatory`
  for (const [field, value] of Object.entries(body)) {
    if (typeof value !== 'string') return `${field} must be a string`
    const max = table.fields[field]
    if (max !== undefined && value.length > max) return `${field} is ${value.length} characters, over its max_length ${max}`
  }
  return undefined
}

function project(record: Record<string, string>, fields: string | null): Record<string, string> {
  if (!fields) return record
  return Object.fromEntries(
    fields
      .split(',')
      .filter((f) => f in record)
      .map((f) => [f, record[f]!]),
  )
}

/** The Table API's error body. */
export function failure(status: number, message: string, detail: string | null): FakeResponse {
  return { status, body: { error: { message, detail }, status: 'failure' } }
}
