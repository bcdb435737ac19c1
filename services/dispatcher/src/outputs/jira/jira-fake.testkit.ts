import { HttpFake, type FakeResponse, type RecordedRequest } from '@postee/testkit'
import { checkCreate, type CreateContext, type FakeField, type FakeUser } from './jira-fake-checks.testkit.js'

/**
 * A Jira on loopback, Data Center (REST v2 only) or Cloud (v2 and v3), that answers the calls the
 * output makes the way Jira does: field list, per-issue-type create metadata (Data Center pages as
 * `{ values, isLast }`, Cloud as `{ issueTypes | fields, total }`), user search (`username=` on
 * Data Center, `query=` on Cloud), issue search (`POST /search` on Data Center; on Cloud the old
 * endpoint is gone (410) and `POST /search/jql` returns ids only unless `fields` are asked for),
 * the agile board and sprint lists, and issue creation with Jira's checks and error bodies.
 */

export interface FakeBoard {
  readonly id: number
  readonly name: string
  readonly type: 'scrum' | 'kanban'
  readonly project: string
  readonly sprints: readonly { readonly id: number; readonly name: string; readonly state: 'active' | 'future' | 'closed' }[]
}

export interface FakeJiraOptions {
  readonly deployment: 'server' | 'cloud'
  /** The Authorization header Jira accepts. */
  readonly authorization: string
  readonly fields?: readonly FakeField[]
  /** Field ids that are not on the create screen. */
  readonly offScreen?: readonly string[]
  readonly boards?: readonly FakeBoard[]
  readonly users?: readonly FakeUser[]
  /** Jira caps maxResults per resource; a small cap exercises paging. */
  readonly pageSize?: number
}

/** An issue the fake holds. */
export interface FakeIssue {
  readonly id: string
  readonly key: string
  readonly fields: Record<string, unknown>
}

const SYSTEM: readonly FakeField[] = [
  { id: 'summary', name: 'Summary', schema: { type: 'string', system: 'summary' } },
  { id: 'description', name: 'Description', schema: { type: 'string', system: 'description' } },
  { id: 'priority', name: 'Priority', schema: { type: 'priority', system: 'priority' } },
  { id: 'labels', name: 'Labels', schema: { type: 'array', items: 'string', system: 'labels' } },
  { id: 'assignee', name: 'Assignee', schema: { type: 'user', system: 'assignee' } },
  { id: 'project', name: 'Project', schema: { type: 'project', system: 'project' } },
  { id: 'issuetype', name: 'Issue Type', schema: { type: 'issuetype', system: 'issuetype' } },
]

/** The Jira fake; `issues` is its database, `creates` every create body it accepted. */
export class FakeJira {
  readonly http: HttpFake
  readonly issues: FakeIssue[] = []
  readonly projectKey = 'VUL'
  readonly issueTypes = [
    { id: '10001', name: 'Task' },
    { id: '10002', name: 'Bug' },
  ]
  /** Scripted answers taken before routing, first match first, each used once. */
  readonly script: { match: (r: RecordedRequest) => boolean; answer: FakeResponse; applyFirst?: boolean }[] = []

  constructor(readonly options: FakeJiraOptions) {
    this.http = new HttpFake((request) => this.handle(request))
  }

  async start(): Promise<this> {
    await this.http.start()
    return this
  }

  get url(): string {
    return this.http.url
  }

  get requests(): RecordedRequest[] {
    return this.http.requests
  }

  /** Requests by method and path without the query. */
  calls(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter(
      (r) => r.method === method && (typeof path === 'string' ? r.path.split('?')[0] === path : path.test(r.path)),
    )
  }

  /** The next matching request gets `answer`; with `applyFirst` the fake still does the work (a lost answer). */
  once(match: (r: RecordedRequest) => boolean, answer: FakeResponse, applyFirst = false): void {
    this.script.push({ match, answer, applyFirst })
  }

  stop(): Promise<void> {
    return this.http.stop()
  }

  private get cloud(): boolean {
    return this.options.deployment === 'cloud'
  }

  private handle(request: RecordedRequest): FakeResponse {
    if (request.headers.authorization !== this.options.authorization) {
      return {
        status: 401,
        body: { errorMessages: ['You are not authenticated. Authentication required to perform this operation.'], errors: {} },
      }
    }
    const scripted = this.script.findIndex((s) => s.match(request))
    if (scripted >= 0) {
      const [entry] = this.script.splice(scripted, 1)
      if (entry!.applyFirst) this.route(request)
      return entry!.answer
    }
    return this.route(request)
  }

  private route(request: RecordedRequest): FakeResponse {
    const url = new URL(request.path, 'http://jira')
    const q = url.searchParams
    const api = /^\/rest\/api\/(2|3)(\/.*)$/.exec(url.pathname)
    if (api) {
      const version = Number(api[1]) as 2 | 3
      if (version === 3 && !this.cloud) return notFound(url.pathname)
      return this.routeApi(request, version, api[2]!, q)
    }
    if (request.method === 'GET' && url.pathname === '/rest/agile/1.0/board') return this.boards(q)
    const sprints = /^\/rest\/agile\/1\.0\/board\/(\d+)\/sprint$/.exec(url.pathname)
    if (request.method === 'GET' && sprints) return this.sprints(Number(sprints[1]), q)
    return notFound(url.pathname)
  }

  private routeApi(request: RecordedRequest, version: 2 | 3, path: string, q: URLSearchParams): FakeResponse {
    if (request.method === 'GET' && path === '/field')
      return ok(this.allFields().map((f) => ({ ...f, custom: f.id.startsWith('customfield_') })))
    const meta = /^\/issue\/createmeta\/([^/]+)\/issuetypes(?:\/([^/]+))?$/.exec(path)
    if (request.method === 'GET' && meta) return this.createMeta(decodeURIComponent(meta[1]!), meta[2], q)
    if (request.method === 'GET' && path === '/user/search') return this.userSearch(q)
    if (request.method === 'POST' && path === '/search') {
      if (this.cloud)
        return {
          status: 410,
          body: { errorMessages: ['The requested API has been removed. Please migrate to the /rest/api/3/search/jql API.'], errors: {} },
        }
      return this.search(request, false)
    }
    if (request.method === 'POST' && path === '/search/jql') return this.cloud ? this.search(request, true) : notFound(path)
    if (request.method === 'POST' && path === '/issue') return this.create(request, version)
    return notFound(path)
  }

  private allFields(): FakeField[] {
    return [...SYSTEM, ...(this.options.fields ?? [])]
  }

  private page<T>(rows: readonly T[], q: URLSearchParams, key: string): FakeResponse {
    const startAt = Number(q.get('startAt') ?? 0)
    const maxResults = Math.min(Number(q.get('maxResults') ?? 50), this.options.pageSize ?? 50)
    const slice = rows.slice(startAt, startAt + maxResults)
    const isLast = startAt + slice.length >= rows.length
    // Cloud's createmeta pages carry a total and no isLast; everything else carries isLast.
    const cloudMeta = this.cloud && (key === 'issueTypes' || key === 'fields')
    return ok({ startAt, maxResults, total: rows.length, ...(cloudMeta ? {} : { isLast }), [key]: slice })
  }

  private createMeta(project: string, typeId: string | undefined, q: URLSearchParams): FakeResponse {
    if (project !== this.projectKey)
      return { status: 404, body: { errorMessages: [`No project could be found with key '${project}'.`], errors: {} } }
    if (typeId === undefined) return this.page(this.issueTypes, q, this.cloud ? 'issueTypes' : 'values')
    if (!this.issueTypes.some((t) => t.id === typeId))
      return { status: 404, body: { errorMessages: ['Issue type with given ID does not exist'], errors: {} } }
    const onScreen = this.allFields().filter((f) => !(this.options.offScreen ?? []).includes(f.id))
    const rows = onScreen.map((f) => ({
      required: ['summary', 'project', 'issuetype'].includes(f.id),
      ...(f.schema ? { schema: f.schema } : {}),
      name: f.name,
      fieldId: f.id,
      ...(this.cloud ? { key: f.id } : {}),
      operations: ['set'],
      ...(f.allowedValues ? { allowedValues: f.allowedValues } : {}),
    }))
    return this.page(rows, q, this.cloud ? 'fields' : 'values')
  }

  private userSearch(q: URLSearchParams): FakeResponse {
    const text = q.get(this.cloud ? 'query' : 'username')
    if (!text)
      return {
        status: 400,
        body: {
          errorMessages: [this.cloud ? 'The query parameter is required.' : 'The username query parameter was not provided'],
          errors: {},
        },
      }
    const t = text.toLowerCase()
    const users = (this.options.users ?? []).filter((u) =>
      [u.name, u.emailAddress, ...u.displayName.split(' ')].some((s) => s.toLowerCase().startsWith(t)),
    )
    return ok(
      users.map((u) =>
        this.cloud
          ? { accountId: u.accountId, accountType: 'atlassian', emailAddress: u.emailAddress, displayName: u.displayName, active: true }
          : { name: u.name, key: u.name, emailAddress: u.emailAddress, displayName: u.displayName, active: true },
      ),
    )
  }

  private search(request: RecordedRequest, jqlEndpoint: boolean): FakeResponse {
    const body = jsonBody(request)
    if ('status' in body) return body
    const match = /^project = "([^"]+)" AND labels = "([^"]+)"(?: ORDER BY created ASC)?$/.exec(
      typeof body.value['jql'] === 'string' ? body.value['jql'] : '',
    )
    if (!match) return { status: 400, body: { errorMessages: [`Error in the JQL Query: ${String(body.value['jql'])}`], errors: {} } }
    if (match[1] !== this.projectKey)
      return { status: 400, body: { errorMessages: [`The value '${match[1]}' does not exist for the field 'project'.`], errors: {} } }
    const found = this.issues.filter((i) => (i.fields['labels'] as string[]).includes(match[2]!))
    const withFields = Array.isArray(body.value['fields']) && body.value['fields'].length > 0
    const issues = found.map((i) =>
      jqlEndpoint && !withFields
        ? { id: i.id }
        : { id: i.id, key: i.key, self: `${this.url}/rest/api/2/issue/${i.id}`, fields: { summary: i.fields['summary'] } },
    )
    return ok(jqlEndpoint ? { issues, isLast: true } : { startAt: 0, maxResults: 50, total: issues.length, issues })
  }

  private boards(q: URLSearchParams): FakeResponse {
    const name = q.get('name')?.toLowerCase()
    const rows = (this.options.boards ?? [])
      .filter(
        (b) =>
          (name === undefined || b.name.toLowerCase().includes(name)) &&
          (!q.get('projectKeyOrId') || b.project === q.get('projectKeyOrId')) &&
          (!q.get('type') || b.type === q.get('type')),
      )
      .map((b) => ({ id: b.id, self: `${this.url}/rest/agile/1.0/board/${b.id}`, name: b.name, type: b.type }))
    return this.page(rows, q, 'values')
  }

  private sprints(boardId: number, q: URLSearchParams): FakeResponse {
    const board = (this.options.boards ?? []).find((b) => b.id === boardId)
    if (!board)
      return { status: 404, body: { errorMessages: [`Board does not exist or you do not have permission to see it.`], errors: {} } }
    if (board.type !== 'scrum') return { status: 400, body: { errorMessages: ['The board does not support sprints'], errors: {} } }
    const states = (q.get('state') ?? 'active,future,closed').split(',')
    const rows = board.sprints
      .filter((s) => states.includes(s.state))
      .map((s) => ({ ...s, self: `${this.url}/rest/agile/1.0/sprint/${s.id}`, originBoardId: board.id }))
    return this.page(rows, q, 'values')
  }

  private create(request: RecordedRequest, version: 2 | 3): FakeResponse {
    const body = jsonBody(request)
    if ('status' in body) return body
    const errors = checkCreate(body.value['fields'], this.createContext(version))
    if (Object.keys(errors).length > 0) return { status: 400, body: { errorMessages: [], errors } }
    const id = String(10_000 + this.issues.length + 1)
    const key = `${this.projectKey}-${this.issues.length + 1}`
    this.issues.push({ id, key, fields: body.value['fields'] as Record<string, unknown> })
    return { status: 201, body: { id, key, self: `${this.url}/rest/api/${version}/issue/${id}` } }
  }

  private createContext(apiVersion: 2 | 3): CreateContext {
    const open = (this.options.boards ?? []).flatMap((b) => b.sprints).filter((s) => s.state !== 'closed')
    return {
      apiVersion,
      cloud: this.cloud,
      projectKey: this.projectKey,
      issueTypes: this.issueTypes,
      priorities: ['Highest', 'High', 'Medium', 'Low', 'Lowest'],
      fields: this.allFields(),
      screen: new Set(
        this.allFields()
          .map((f) => f.id)
          .filter((id) => !(this.options.offScreen ?? []).includes(id)),
      ),
      users: this.options.users ?? [],
      openSprints: new Set(open.map((s) => s.id)),
    }
  }
}

function ok(body: object): FakeResponse {
  return { status: 200, body }
}

function notFound(path: string): FakeResponse {
  return { status: 404, body: { errorMessages: [`null for uri: ${path}`], errors: {} } }
}

// Jira's JSON endpoints answer 415 to any other content type and 400 to a body that is not JSON.
function jsonBody(request: RecordedRequest): { value: Record<string, unknown> } | FakeResponse {
  if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) return { status: 415, body: 'Unsupported Media Type' }
  try {
    const value = JSON.parse(request.body) as unknown
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object')
    return { value: value as Record<string, unknown> }
  } catch {
    return { status: 400, body: { errorMessages: ['Unexpected character: the body is not a JSON object'], errors: {} } }
  }
}
