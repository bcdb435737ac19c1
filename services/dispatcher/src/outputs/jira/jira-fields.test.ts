import { expect } from 'chai'
import { batchOf, fixtureItem, generatedItem } from '@postee/testkit'
import type { FakeField, FakeUser } from './jira-fake-checks.testkit.js'
import type { FakeBoard, FakeJira } from './jira-fake.testkit.js'
import { createJiraOutput, type JiraOutputOptions } from './jira-output.js'
import { context, failure, jiraIntegration, startFake } from './jira-output.testkit.js'

/** Unknowns (custom fields by display name), sprint, assignee and the metadata cache. */

const CF = 'com.atlassian.jira.plugin.system.customfieldtypes'
const FIELDS: FakeField[] = [
  { id: 'customfield_10020', name: 'Sprint', schema: { type: 'array', items: 'json', custom: 'com.pyxis.greenhopper.jira:gh-sprint' } },
  { id: 'customfield_10100', name: 'Team', schema: { type: 'string', custom: `${CF}:textfield` } },
  { id: 'customfield_10101', name: 'Story Points', schema: { type: 'number', custom: `${CF}:float` } },
  {
    id: 'customfield_10102',
    name: 'Components Affected',
    schema: { type: 'array', items: 'option', custom: `${CF}:multiselect` },
    allowedValues: [
      { id: '1', value: 'Frontend' },
      { id: '2', value: 'Backend' },
      { id: '3', value: 'Infra' },
    ],
  },
  { id: 'customfield_10103', name: 'Remediation Notes', schema: { type: 'string', custom: `${CF}:textarea` } },
  { id: 'customfield_10104', name: 'Fix Deadline', schema: { type: 'datetime', custom: `${CF}:datetime` } },
  { id: 'customfield_10105', name: 'Target Date', schema: { type: 'date', custom: `${CF}:datepicker` } },
  { id: 'customfield_10106', name: 'Advisory URL', schema: { type: 'string', custom: `${CF}:url` } },
  {
    id: 'customfield_10107',
    name: 'Severity Class',
    schema: { type: 'option', custom: `${CF}:select` },
    allowedValues: [
      { id: '4', value: 'S1' },
      { id: '5', value: 'S2' },
    ],
  },
  { id: 'customfield_10108', name: 'Security Reviewer', schema: { type: 'user', custom: `${CF}:userpicker` } },
  { id: 'customfield_10109', name: 'Scan Tags', schema: { type: 'array', items: 'string', custom: `${CF}:labels` } },
  { id: 'customfield_10110', name: 'Legacy Count' },
  { id: 'customfield_10111', name: 'Legacy Choices' },
  { id: 'customfield_10112', name: 'Legacy Notes' },
  { id: 'customfield_10113', name: 'Legacy When' },
  { id: 'customfield_10114', name: 'Legacy Link' },
  { id: 'customfield_10115', name: 'Legacy Text', schema: { type: 'any', custom: 'com.example:thing' } },
  { id: 'customfield_10116', name: 'Hidden Field', schema: { type: 'string', custom: `${CF}:textfield` } },
]
const USERS: FakeUser[] = [
  { name: 'jdoe', accountId: '5b10a2844c20165700ede21f', emailAddress: 'owner@example.com', displayName: 'Jane Doe' },
  { name: 'asmith', accountId: '557058:f58131cb-b67d-43c7-b30d-6b58d40bd077', emailAddress: 'alex@example.com', displayName: 'Alex Smith' },
]
const BOARDS: FakeBoard[] = [
  {
    id: 7,
    name: 'VUL board',
    type: 'scrum',
    project: 'VUL',
    sprints: [
      { id: 41, name: 'Sprint 41', state: 'closed' },
      { id: 42, name: 'Sprint 42', state: 'active' },
      { id: 43, name: 'Sprint 43', state: 'future' },
      { id: 44, name: 'Hardening', state: 'future' },
    ],
  },
  { id: 8, name: 'VUL kanban', type: 'kanban', project: 'VUL', sprints: [] },
  { id: 9, name: 'Other board', type: 'scrum', project: 'OPS', sprints: [{ id: 90, name: 'Ops Sprint', state: 'active' }] },
]

for (const apiVersion of [2, 3] as const) {
  describe(`jira output v${apiVersion}: custom fields, sprint, assignee`, () => {
    let fake: FakeJira
    beforeEach(async () => {
      fake = await startFake(apiVersion, { fields: FIELDS, offScreen: ['customfield_10116'], users: USERS, boards: BOARDS, pageSize: 2 })
    })
    afterEach(async () => fake.stop())
    const send = (extra: readonly string[], batch = batchOf([fixtureItem('aqua-input.json')]), options: JiraOutputOptions = {}) =>
      createJiraOutput(jiraIntegration(fake.url, apiVersion, extra), options).send(context(), batch)
    const created = (): Record<string, unknown> => JSON.parse(fake.calls('POST', `/rest/api/${apiVersion}/issue`).at(-1)!.body).fields
    const reviewer = apiVersion === 3 ? USERS[0]!.accountId : 'jdoe'

    it('types unknowns by the field schema (string, number, options, textarea, date, datetime, url, user, labels)', async () => {
      await send([
        'unknowns:',
        '  Team: "Platform Security"',
        '  Story Points: "3.5"',
        '  Components Affected: "Frontend, Infra"',
        '  Remediation Notes: "line one\\nline two"',
        '  Fix Deadline: "2026-12-01T09:30:00+01:00"',
        '  Target Date: "2026-12-24"',
        '  Advisory URL: "https://avd.aquasec.com/nvd/cve-2024-10000"',
        '  severity class: "S2"',
        `  Security Reviewer: "${reviewer}"`,
        '  Scan Tags: "trivy, nightly"',
      ])
      const fields = created()
      expect(fields['customfield_10100']).to.equal('Platform Security')
      expect(fields['customfield_10101']).to.equal(3.5)
      expect(fields['customfield_10102']).to.deep.equal([{ value: 'Frontend' }, { value: 'Infra' }])
      const notes =
        apiVersion === 3
          ? {
              type: 'doc',
              version: 1,
              content: [
                { type: 'paragraph', content: [{ type: 'text', text: 'line one' }] },
                { type: 'paragraph', content: [{ type: 'text', text: 'line two' }] },
              ],
            }
          : 'line one\nline two'
      expect(fields['customfield_10103']).to.deep.equal(notes)
      expect(fields['customfield_10104']).to.equal('2026-12-01T08:30:00.000+0000')
      expect(fields['customfield_10105']).to.equal('2026-12-24')
      expect(fields['customfield_10106']).to.equal('https://avd.aquasec.com/nvd/cve-2024-10000')
      expect(fields['customfield_10107']).to.deep.equal({ value: 'S2' })
      expect(fields['customfield_10108']).to.deep.equal(apiVersion === 3 ? { accountId: reviewer } : { name: 'jdoe' })
      expect(fields['customfield_10109']).to.deep.equal(['trivy', 'nightly'])
      // The per-issue-type create metadata of Jira 9+/Cloud, paged; never the removed expand call.
      expect(fake.calls('GET', `/rest/api/${apiVersion}/issue/createmeta/VUL/issuetypes`).length).to.be.greaterThan(0)
      expect(fake.calls('GET', /\/issuetypes\/10001\?/).length).to.be.greaterThan(1)
      expect(fake.requests.some((r) => r.path.includes('expand='))).to.equal(false)
    })

    it("uses the seed's suffix hints where the field has no schema", async () => {
      await send([
        'unknowns:',
        '  Legacy Count-numeric-field: "42"',
        '  Legacy Choices-multiple-value: "a,b ,c"',
        '  Legacy Notes-multiple-line-text-field: "first\\nsecond"',
        '  Legacy When-date-time-picker: "2014-04-11T12:14:26.880+0400"',
        '  Legacy Link-url: "https://example.com/x"',
        '  Legacy Text: "plain"',
      ])
      const fields = created()
      expect(fields['customfield_10110']).to.equal(42)
      expect(fields['customfield_10111']).to.deep.equal([{ value: 'a' }, { value: 'b' }, { value: 'c' }])
      expect(fields['customfield_10112']).to.deep.equal(
        apiVersion === 3
          ? {
              type: 'doc',
              version: 1,
              content: [
                { type: 'paragraph', content: [{ type: 'text', text: 'first' }] },
                { type: 'paragraph', content: [{ type: 'text', text: 'second' }] },
              ],
            }
          : 'first\nsecond',
      )
      expect(fields['customfield_10113']).to.equal('2014-04-11T12:14:26.880+0400')
      expect(fields['customfield_10114']).to.equal('https://example.com/x')
      expect(fields['customfield_10115']).to.equal('plain')
    })

    it('an unknown field name is a permanent error naming it, the closest match and the fields that exist', async () => {
      const error = await failure(send(['unknowns:', '  Story Pionts: "3"']))
      expect(error).to.include({ retryable: false, reason: 'config' })
      expect(error.message).to.include('"Story Pionts"').and.include('closest: "Story Points"').and.include('Components Affected')
      expect(fake.issues).to.have.length(0)
    })

    it('a field that exists but is not on the create screen is named as such', async () => {
      const error = await failure(send(['unknowns:', '  Hidden Field: "x"']))
      expect(error).to.include({ retryable: false, reason: 'config' })
      expect(error.message).to.include('customfield_10116').and.include('not on the create screen')
    })

    it('a value that does not fit its field is a permanent error naming the field', async () => {
      expect((await failure(send(['unknowns:', '  Story Points: "many"']))).message)
        .to.include('"Story Points" (customfield_10101)')
        .and.include('not a number')
      expect((await failure(send(['unknowns:', '  Severity Class: "S9"']))).message).to.include('not one of its options (S1, S2)')
    })

    it('a wrong issue type is named with the types the project has', async () => {
      const error = await failure(send(['issuetype: Epic', 'unknowns:', '  Team: "x"']))
      expect(error.message).to.include('issuetype "Epic"').and.include('Task, Bug')
    })

    it('field metadata is cached across sends, and asked again after the TTL', async () => {
      let now = 0
      const output = createJiraOutput(jiraIntegration(fake.url, apiVersion, ['unknowns:', '  Team: "x"']), {
        now: () => now,
        metadataTtlMs: 60_000,
      })
      await output.send(context(), batchOf([fixtureItem('aqua-input.json', { n: 1 })]))
      now = 30_000
      await output.send(context(), batchOf([fixtureItem('aqua-input.json', { n: 2 })]))
      expect(fake.calls('GET', `/rest/api/${apiVersion}/field`)).to.have.length(1)
      now = 61_000
      await output.send(context(), batchOf([fixtureItem('aqua-input.json', { n: 3 })]))
      expect(fake.calls('GET', `/rest/api/${apiVersion}/field`)).to.have.length(2)
      expect(fake.issues).to.have.length(3)
    })

    it('a sprint by name on a board by name goes into the Sprint field as its id', async () => {
      await send(['board: VUL board', 'sprint: Hardening'])
      expect(created()['customfield_10020']).to.equal(44)
      expect(fake.calls('GET', '/rest/agile/1.0/board')[0]!.path).to.include('name=VUL+board')
    })

    it('a board (by id) without a sprint name puts the issue in the active sprint', async () => {
      await send(['board: 7'])
      expect(created()['customfield_10020']).to.equal(42)
      expect(fake.calls('GET', '/rest/agile/1.0/board')).to.have.length(0)
    })

    it("a sprint name without a board is looked for on the project's scrum boards", async () => {
      await send(['sprint: sprint 43'])
      expect(created()['customfield_10020']).to.equal(43)
    })

    it('a kanban board without a sprint name leaves the sprint out', async () => {
      await send(['board: VUL kanban'])
      expect(created()).to.not.have.property('customfield_10020')
      expect(fake.issues).to.have.length(1)
    })

    it('a sprint that does not exist is a permanent error listing the open sprints', async () => {
      const error = await failure(send(['board: VUL board', 'sprint: Sprint 41']))
      expect(error).to.include({ retryable: false, reason: 'config' })
      expect(error.message).to.include('"Sprint 41"').and.include('Sprint 42, Sprint 43, Hardening')
    })

    it('a board that does not exist is a permanent error', async () => {
      const error = await failure(send(['board: Nope', 'sprint: Sprint 42']))
      expect(error).to.include({ retryable: false, reason: 'config' })
      expect(error.message).to.include('no board named "Nope"')
    })

    it(`<%application_scope_owner%> assigns the scan's first owner (${apiVersion === 3 ? 'accountId' : 'name'})`, async () => {
      await send(['assignee: "<%application_scope_owner%>"'], batchOf([generatedItem(10)]))
      expect(created()['assignee']).to.deep.equal(apiVersion === 3 ? { accountId: USERS[0]!.accountId } : { name: 'jdoe' })
      const lookup = fake.calls('GET', `/rest/api/${apiVersion}/user/search`)[0]!
      expect(lookup.path).to.include(apiVersion === 3 ? 'query=owner%40example.com' : 'username=owner%40example.com')
    })

    it('an owner Jira does not know leaves the issue unassigned instead of failing', async () => {
      const item = generatedItem(10)
      await send(
        ['assignee: "<%application_scope_owner%>"'],
        batchOf([{ ...item, scan: { ...item.scan, owners: ['', 'ghost@example.com'] } }]),
      )
      expect(fake.issues).to.have.length(1)
      expect(created()).to.not.have.property('assignee')
    })

    it('an owner lookup Jira refuses (403) leaves the issue unassigned; a 503 fails the attempt for a retry', async () => {
      const lookup = (r: { path: string }) => r.path.includes('/user/search')
      fake.once(lookup, { status: 403, body: { errorMessages: ['Browse users permission required'], errors: {} } })
      await send(['assignee: "<%application_scope_owner%>"'], batchOf([generatedItem(10)]))
      expect(created()).to.not.have.property('assignee')
      fake.once(lookup, { status: 503, body: 'busy' })
      const error = await failure(send(['assignee: "<%application_scope_owner%>"'], batchOf([generatedItem(10, { n: 2 })])))
      expect(error).to.include({ retryable: true, reason: 'server-error' })
      expect(fake.issues).to.have.length(1)
    })

    it('a fixed assignee: a name on Data Center, an accountId looked up on Cloud', async () => {
      await send([`assignee: ${apiVersion === 3 ? 'alex@example.com' : 'asmith'}`])
      expect(created()['assignee']).to.deep.equal(apiVersion === 3 ? { accountId: USERS[1]!.accountId } : { name: 'asmith' })
      const error = await failure(send(['assignee: nobody'], batchOf([fixtureItem('aqua-input.json', { n: 2 })])))
      expect(error.message).to.equal(apiVersion === 3 ? error.message : "HTTP 400: assignee: User 'nobody' does not exist.")
      if (apiVersion === 3) expect(error).to.include({ reason: 'config', retryable: false })
    })
  })
}
