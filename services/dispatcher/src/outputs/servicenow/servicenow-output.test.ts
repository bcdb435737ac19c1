import { expect } from 'chai'
import {
  DeliveryError,
  parseConfig,
  type DeliveryBatch,
  type DeliveryContext,
  type Output,
  type ServiceNowIntegration,
} from '@postee/shared'
import { HttpFake, SCAN_FIXTURES, batchOf, expectGolden, fixtureItem, generatedItem } from '@postee/testkit'
import { createServiceNowOutput } from './servicenow-output.js'
import { FIELD_LIMITS, correlationId } from './servicenow-record.js'
import { CUSTOM_TABLE, INCIDENT, TableApiFake, failure as snFailure } from './table-api-fake.testkit.js'

/**
 * The ServiceNow output against a Table API fake on loopback. Golden create bodies live in
 * `golden/` (the record is this output's own rendering: clipped text, HTML work notes, fields);
 * after an intended change run with `UPDATE_GOLDEN=1` (the test fails, naming the rewritten file;
 * refused under CI) and review the git diff like code.
 */
const USER = 'postee.integration'
const PASSWORD = 'sn-p4ss-w0rd'
const GOLDEN = new URL('./golden/', import.meta.url)

function integration(url: string, extra = ''): ServiceNowIntegration {
  const text = `- name: sn\n  type: serviceNow\n  enable: true\n  instance: ${url}\n  user: ${USER}\n  password: ${PASSWORD}\n${extra}`
  return parseConfig(text, {}).integrations[0] as ServiceNowIntegration
}

function context(timeoutMs = 10_000): DeliveryContext {
  return { signal: AbortSignal.timeout(timeoutMs), timeoutMs, aquaServer: 'https://aqua.example.com' }
}

function shortName(fixture: string): string {
  return fixture.replace(/^.*\//, '').replace(/\.json$/, '')
}

/** Every fixture with and without a diff, the 5,000-finding scan, and an aggregated batch. */
function goldenCases(): { name: string; batch: () => DeliveryBatch }[] {
  const cases = SCAN_FIXTURES.flatMap((fixture) => [
    { name: shortName(fixture), batch: () => batchOf([fixtureItem(fixture)]) },
    { name: `${shortName(fixture)}-diff`, batch: () => batchOf([fixtureItem(fixture, { withDiff: true })]) },
  ])
  return [
    ...cases,
    { name: 'generated-5000', batch: () => batchOf([generatedItem(5000)]) },
    { name: 'generated-5000-diff', batch: () => batchOf([generatedItem(5000, { withDiff: true })]) },
    {
      name: 'aggregated',
      batch: () =>
        batchOf(
          [
            fixtureItem('aqua-input.json', { n: 1 }),
            fixtureItem('trivy-input.json', { n: 2, withDiff: true }),
            fixtureItem('all-in-one-image.json', { n: 3 }),
          ],
          true,
        ),
    },
  ]
}

function compareGolden(name: string, body: string): void {
  expectGolden(new URL(`${name}.json`, GOLDEN), JSON.stringify(JSON.parse(body), null, 2) + '\n')
}

async function failure(output: Output, batch: DeliveryBatch, ctx = context()): Promise<DeliveryError> {
  try {
    await output.send(ctx, batch)
  } catch (error) {
    expect(error).to.be.instanceOf(DeliveryError)
    expect((error as Error).message).to.not.include(PASSWORD)
    return error as DeliveryError
  }
  throw new Error('expected the send to fail')
}

const methods = (fake: HttpFake): string[] => fake.requests.map((r) => r.method)

describe('serviceNow output', () => {
  let instance: TableApiFake
  let fake: HttpFake
  let output: Output
  beforeEach(async () => {
    instance = new TableApiFake(USER, PASSWORD, { incident: INCIDENT, u_scan_report: CUSTOM_TABLE })
    fake = await new HttpFake(instance.handler).start()
    output = createServiceNowOutput(integration(fake.url))
  })
  afterEach(async () => fake.stop())

  describe('golden create bodies, all accepted by the Table API', () => {
    for (const c of goldenCases()) {
      it(c.name, async () => {
        const batch = c.batch()
        const result = await output.send(context(), batch)
        expect(methods(fake)).to.deep.equal(['GET', 'POST'])
        const [search, create] = fake.requests
        const query = new URL(search!.path, 'http://x').searchParams
        expect(query.get('sysparm_query')).to.equal(`correlation_id=postee:${batch.key}`)
        expect(create!.path.split('?')[0]).to.equal('/api/now/table/incident')
        expect(create!.headers['content-type']).to.equal('application/json')
        expect(instance.records).to.have.length(1)
        expect(result).to.deep.equal({ externalId: instance.records[0]!['sys_id'] })
        const body = JSON.parse(create!.body) as Record<string, string>
        expect(body['work_notes'], 'the HTML report fits its work note').to.match(/^\[code\][\s\S]*\[\/code\]$/)
        compareGolden(c.name, create!.body)
      })
    }
  })

  it('titles an aggregated batch "Vulnerability scan report" and makes one record of it', async () => {
    await output.send(context(), batchOf([fixtureItem('aqua-input.json', { n: 1 }), fixtureItem('trivy-input.json', { n: 2 })], true))
    expect(instance.records).to.have.length(1)
    expect(instance.records[0]!['short_description']).to.equal('Vulnerability scan report')
    expect(instance.records[0]!['correlation_display']).to.equal('postee')
  })

  it('a replay (same key) creates nothing and answers with the same sys_id', async () => {
    const batch = batchOf([fixtureItem('aqua-input.json')])
    const first = await output.send(context(), batch)
    const again = await output.send(context(), batch)
    expect(again).to.deep.equal(first)
    expect(methods(fake)).to.deep.equal(['GET', 'POST', 'GET'])
    expect(instance.records).to.have.length(1)
  })

  it('a 500 on a create that happened → retryable; the retry finds the record and creates nothing', async () => {
    const batch = batchOf([fixtureItem('aqua-input.json')])
    instance.nextCreate = 'store-then-500'
    expect(await failure(output, batch)).to.include({ reason: 'server-error', retryable: true })
    const retry = await output.send(context(), batch)
    expect(methods(fake)).to.deep.equal(['GET', 'POST', 'GET'])
    expect(instance.records).to.have.length(1)
    expect(retry).to.deep.equal({ externalId: instance.records[0]!['sys_id'] })
  })

  it('a 500 on a create that did not happen → the retry creates the record once', async () => {
    const batch = batchOf([fixtureItem('aqua-input.json')])
    instance.nextCreate = 'fail-500'
    const error = await failure(output, batch)
    expect(error).to.include({ reason: 'server-error', retryable: true })
    expect(error.message).to.equal('HTTP 500: Internal Server Error: Transaction cancelled')
    await output.send(context(), batch)
    expect(methods(fake)).to.deep.equal(['GET', 'POST', 'GET', 'POST'])
    expect(instance.records).to.have.length(1)
  })

  it('a create whose answer never comes (timeout) → the retry finds the record', async () => {
    const batch = batchOf([fixtureItem('aqua-input.json')])
    instance.nextCreate = 'store-then-hang'
    expect(await failure(output, batch, context(500))).to.include({ reason: 'timeout', retryable: true })
    await output.send(context(), batch)
    expect(instance.records).to.have.length(1)
  })

  it("a wrong password fails the first call with ServiceNow's message and the fix, and creates nothing", async () => {
    const wrong = new TableApiFake(USER, 'another-password')
    fake.respondWith(wrong.handler)
    const error = await failure(output, batchOf([fixtureItem('aqua-input.json')]))
    expect(error).to.include({ reason: 'auth', retryable: false })
    expect(error.message).to.equal('HTTP 401: User Not Authenticated: Required to provide Auth information; check `user` and `password`')
    expect(methods(fake)).to.deep.equal(['GET'])
  })

  it('an ACL refusal → permanent auth failure naming the roles to grant', async () => {
    fake.respondWith(() => snFailure(403, 'Operation Failed', 'ACL restricts the record retrieval'))
    const error = await failure(output, batchOf([fixtureItem('aqua-input.json')]))
    expect(error).to.include({ reason: 'auth', retryable: false })
    expect(error.message).to.match(/^HTTP 403: Operation Failed: ACL restricts the record retrieval; give the user roles/)
  })

  it('a table that does not exist → permanent, naming `board`', async () => {
    output = createServiceNowOutput(integration(fake.url, '  board: incidnet\n'))
    const error = await failure(output, batchOf([fixtureItem('aqua-input.json')]))
    expect(error).to.include({ reason: 'client-error', retryable: false })
    expect(error.message).to.equal('HTTP 400: Invalid table incidnet; check `board`: "incidnet" is not a table')
  })

  it('a hibernating instance (200 with a web page) → retryable, and nothing is created', async () => {
    fake.respondWith(() => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html>Your instance is hibernating</html>' }))
    expect(await failure(output, batchOf([fixtureItem('aqua-input.json')]))).to.include({ reason: 'unknown', retryable: true })
    expect(methods(fake)).to.deep.equal(['GET'])
  })

  it('on a table without correlation_id (the query condition is ignored) never takes another record for ours', async () => {
    output = createServiceNowOutput(integration(fake.url, '  board: u_scan_report\n'))
    await output.send(context(), batchOf([fixtureItem('aqua-input.json', { n: 1 })]))
    await output.send(context(), batchOf([fixtureItem('trivy-input.json', { n: 2 })]))
    expect(instance.records).to.have.length(2)
    expect(methods(fake)).to.deep.equal(['GET', 'POST', 'GET', 'POST'])
  })

  it("keeps a very long image name within short_description's 160 characters", async () => {
    const item = fixtureItem('aqua-input.json')
    const long = { ...item, scan: { ...item.scan, image: `${'very-long-repository-name/'.repeat(12)}app:1.0` } }
    await output.send(context(), batchOf([long]))
    const title = instance.records[0]!['short_description']!
    expect(title.length).to.be.at.most(FIELD_LIMITS.shortDescription)
    expect(title.endsWith('…')).to.equal(true)
  })

  it('derives a correlation id that fits and is inert in an encoded query', () => {
    expect(correlationId('6d1f6bb2-5f3e-4b59-9a53-3f1e4b7e2a10')).to.equal('postee:6d1f6bb2-5f3e-4b59-9a53-3f1e4b7e2a10')
    expect(correlationId('a^ORactive=true')).to.match(/^postee:[0-9a-f]{64}$/)
    expect(correlationId('k'.repeat(200))).to.match(/^postee:[0-9a-f]{64}$/)
    expect(correlationId('k'.repeat(200))).to.have.length.at.most(FIELD_LIMITS.correlationId)
  })
})
