import { expect } from 'chai'
import { renderJiraAdf, renderJiraWiki, type DeliveryBatch } from '@postee/shared'
import { SCAN_FIXTURES, batchOf, expectGolden, fixtureItem, generatedItem, reportsOf } from '@postee/testkit'
import { idempotencyLabel } from './jira-idempotency.js'
import { createJiraOutput, type JiraOutputOptions } from './jira-output.js'
import type { FakeJira } from './jira-fake.testkit.js'
import { BASIC, PASSWORD, PAT, context, failure, jiraIntegration, startFake } from './jira-output.testkit.js'

/**
 * The Jira output against a fake Jira (Data Center on v2, Cloud on v3) that checks requests the
 * way Jira does. The summary and description are pinned by the renderers' goldens
 * (packages/shared/src/render/golden/jira-wiki/ and jira-adf/); this output's goldens,
 * `golden/v<2|3>/aqua-input.json`, pin the create body around them. After an intended change run
 * with `UPDATE_GOLDEN=1` (the test fails, naming the rewritten file; refused under CI) and review
 * the git diff like code.
 */

const GOLDEN = new URL('./golden/', import.meta.url)
function bodyCases(): { name: string; batch: () => DeliveryBatch }[] {
  const slug = (fixture: string): string => fixture.replace(/\.json$/, '').replace(/[^A-Za-z0-9.-]+/g, '_')
  return [
    ...SCAN_FIXTURES.flatMap((fixture) => [
      { name: slug(fixture), batch: () => batchOf([fixtureItem(fixture)]) },
      { name: `${slug(fixture)}.diff`, batch: () => batchOf([fixtureItem(fixture, { withDiff: true })]) },
    ]),
    { name: 'generated-5000', batch: () => batchOf([generatedItem(5000)]) },
    { name: 'generated-5000.diff', batch: () => batchOf([generatedItem(5000, { withDiff: true })]) },
    {
      name: 'aggregated',
      batch: () =>
        batchOf(
          [
            fixtureItem('aqua-input.json', { n: 1 }),
            fixtureItem('trivy-input.json', { n: 2, withDiff: true }),
            generatedItem(300, { n: 3 }),
          ],
          true,
        ),
    },
  ]
}

for (const apiVersion of [2, 3] as const) {
  describe(`jira output: REST v${apiVersion} (${apiVersion === 3 ? 'Cloud, ADF' : 'Data Center, wiki markup'})`, () => {
    let fake: FakeJira
    const output = (extra: readonly string[] = [], options: JiraOutputOptions = {}) =>
      createJiraOutput(jiraIntegration(fake.url, apiVersion, extra), options)
    beforeEach(async () => {
      fake = await startFake(apiVersion)
    })
    afterEach(async () => fake.stop())

    describe('create bodies: the rendered issue, each accepted by the fake', () => {
      for (const testCase of bodyCases()) {
        it(testCase.name, async () => {
          const batch = testCase.batch()
          const result = await output(['labels: ["vulnerability", "aqua"]']).send(context(), batch)
          expect(result.externalId).to.equal('VUL-1')
          const [create] = fake.calls('POST', `/rest/api/${apiVersion}/issue`)
          const { summary, description } = apiVersion === 3 ? renderJiraAdf(reportsOf(batch)) : renderJiraWiki(reportsOf(batch))
          const fields = (JSON.parse(create!.body) as { fields: Record<string, unknown> }).fields
          expect(fields['summary']).to.equal(summary)
          expect(JSON.stringify(fields['description']) === JSON.stringify(description), 'the description is not the rendered one').to.equal(
            true,
          )
          if (testCase.name === 'aqua-input') {
            expectGolden(new URL(`v${apiVersion}/aqua-input.json`, GOLDEN), `${JSON.stringify(JSON.parse(create!.body), null, 1)}\n`)
          }
        })
      }
    })

    it('creates one issue with the documented fields and returns its key', async () => {
      const batch = batchOf([fixtureItem('aqua-input.json')])
      const result = await output(['priority: Medium', 'issuetype: Bug', 'labels: ["vulnerability"]']).send(context(), batch)
      expect(result).to.deep.equal({ externalId: 'VUL-1' })
      const [search, create] = fake.requests
      expect(search!.path).to.equal(apiVersion === 3 ? '/rest/api/3/search/jql' : '/rest/api/2/search')
      expect(create!.headers['content-type']).to.equal('application/json')
      expect(create!.headers.authorization).to.equal(BASIC)
      const fields = JSON.parse(create!.body).fields
      expect(fields).to.include.keys('project', 'issuetype', 'summary', 'description', 'priority', 'labels')
      expect(fields.project).to.deep.equal({ key: 'VUL' })
      expect(fields.issuetype).to.deep.equal({ name: 'Bug' })
      expect(fields.priority).to.deep.equal({ name: 'Medium' })
      expect(fields.labels).to.deep.equal(['vulnerability', idempotencyLabel(batch.key)])
      expect(fields.summary).to.match(/vulnerability scan report$/)
      if (apiVersion === 3) expect(fields.description).to.include({ type: 'doc', version: 1 })
      else expect(fields.description).to.be.a('string')
    })

    it('defaults: priority High, issue type Task, no assignee', async () => {
      await output().send(context(), batchOf([fixtureItem('trivy-input.json')]))
      const fields = JSON.parse(fake.calls('POST', `/rest/api/${apiVersion}/issue`)[0]!.body).fields
      expect(fields.priority).to.deep.equal({ name: 'High' })
      expect(fields.issuetype).to.deep.equal({ name: 'Task' })
      expect(fields).to.not.have.property('assignee')
    })

    it('an aggregated batch is one issue titled "Vulnerability scan report"', async () => {
      const items = [fixtureItem('aqua-input.json', { n: 1 }), fixtureItem('trivy-input.json', { n: 2 })]
      await output().send(context(), batchOf(items, true))
      expect(fake.issues).to.have.length(1)
      expect(fake.issues[0]!.fields['summary']).to.equal('Vulnerability scan report')
    })

    it('a replay (the same batch key again) creates nothing and returns the same key', async () => {
      const batch = batchOf([fixtureItem('aqua-input.json')])
      const first = await output().send(context(), batch)
      const second = await output().send(context(), batch)
      expect(second).to.deep.equal(first)
      expect(fake.issues).to.have.length(1)
      expect(fake.calls('POST', `/rest/api/${apiVersion}/issue`)).to.have.length(1)
    })

    it('a retry after a 500 on create (the issue was made, the answer lost) finds it and creates nothing twice', async () => {
      const batch = batchOf([fixtureItem('aqua-input.json')])
      fake.once(
        (r) => r.method === 'POST' && r.path === `/rest/api/${apiVersion}/issue`,
        { status: 500, body: { errorMessages: ['Internal server error'], errors: {} } },
        true,
      )
      const out = output()
      const error = await failure(out.send(context(), batch))
      expect(error).to.include({ retryable: true, reason: 'server-error' })
      const retried = await out.send(context(), batch)
      expect(retried).to.deep.equal({ externalId: 'VUL-1' })
      expect(fake.issues).to.have.length(1)
      expect(fake.calls('POST', `/rest/api/${apiVersion}/issue`)).to.have.length(1)
    })

    it("surfaces Jira's field errors in the message, as a permanent failure", async () => {
      const error = await failure(output(['priority: Urgent']).send(context(), batchOf([fixtureItem('aqua-input.json')])))
      expect(error).to.include({ retryable: false, reason: 'client-error' })
      expect(error.message).to.equal("HTTP 400: priority: Priority name 'Urgent' is not valid")
    })

    it('a label with a space is refused by Jira with its own message', async () => {
      const error = await failure(output(['labels: ["two words"]']).send(context(), batchOf([fixtureItem('aqua-input.json')])))
      expect(error.message).to.equal("HTTP 400: labels: The label 'two words' contains spaces which is invalid.")
    })

    it('a 429 on the first call (the search) is rate-limited with its Retry-After', async () => {
      fake.once(() => true, { status: 429, headers: { 'retry-after': '12' }, body: { errorMessages: ['Rate limit exceeded'], errors: {} } })
      const error = await failure(output().send(context(), batchOf([fixtureItem('aqua-input.json')])))
      expect(error).to.include({ retryable: true, reason: 'rate-limited', retryAfterMs: 12_000 })
      expect(fake.issues).to.have.length(0)
    })

    it('wrong credentials are a permanent auth failure that names no secret', async () => {
      await fake.stop()
      fake = await startFake(apiVersion, { authorization: 'Basic d3Jvbmc6d3Jvbmc=' })
      fake.once(() => true, { status: 401, body: `rejected ${BASIC} for ${PASSWORD}` })
      const error = await failure(output().send(context(), batchOf([fixtureItem('aqua-input.json')])))
      expect(error).to.include({ retryable: false, reason: 'auth' })
      expect(error.message).to.not.include(PASSWORD)
      expect(error.message).to.not.include(BASIC.slice('Basic '.length))
    })
  })
}

describe('jira output: auth and wire', () => {
  it('a personal access token is sent as Bearer', async () => {
    const fake = await startFake(2, { authorization: `Bearer ${PAT}` })
    try {
      const result = await createJiraOutput(jiraIntegration(fake.url, 2, [], 'bearer')).send(
        context(),
        batchOf([fixtureItem('aqua-input.json')]),
      )
      expect(result.externalId).to.equal('VUL-1')
      expect(fake.requests.every((r) => r.headers.authorization === `Bearer ${PAT}`)).to.equal(true)
    } finally {
      await fake.stop()
    }
  })

  it('the idempotency label is stable, has no spaces, and differs per key', () => {
    expect(idempotencyLabel('6d1f6bb2-5f3e-4b59-9a53-3f1e4b7e2a10')).to.equal(idempotencyLabel('6d1f6bb2-5f3e-4b59-9a53-3f1e4b7e2a10'))
    expect(idempotencyLabel('a')).to.match(/^postee-[0-9a-f]{16}$/)
    expect(idempotencyLabel('a')).to.not.equal(idempotencyLabel('b'))
  })
})
