import { randomUUID } from 'node:crypto'
import { expect } from 'chai'
import type { Kysely } from 'kysely'
import { countBySeverity, parseAquaScan, scanFingerprint, type Finding, type Scan } from '@postee/shared'
import { createTestDatabase, generatedScan, largeAquaScanBody, type TestDatabase } from '@postee/testkit'
import { listFindings, openDatabase, recordScan, recordScans, type Database, type FindingView } from '../src/index.js'

const finding = (vulnerability: string, resource = 'zlib', severity: Finding['severity'] = 'high', fixVersion = ''): Finding => ({
  resource,
  resourceVersion: '1.2',
  vulnerability,
  severity,
  fixVersion,
})

function scanOf(image: string, digest: string, findings: readonly Finding[], registry = 'reg.example.com'): Scan {
  return { ...generatedScan(0), registry, image, digest, findings, counts: countBySeverity(findings) }
}

function record(db: Kysely<Database>, scan: Scan) {
  return recordScan(db, { id: randomUUID(), scan, rawBody: '{}', fingerprint: scanFingerprint(scan) }, () => [])
}

async function findingsOf(db: Kysely<Database>, image: string, registry = 'reg.example.com'): Promise<Map<string, FindingView>> {
  const { findings } = await listFindings(db, { registry, image, limit: 1000 })
  return new Map(findings.map((f) => [f.vulnerability, f]))
}

describe('finding lifecycle (Postgres)', function () {
  let database: TestDatabase
  let db: Kysely<Database>

  before(async () => {
    database = await createTestDatabase()
    // The production client timeout (POSTEE_PG_QUERY_TIMEOUT_MS default): a statement over it fails.
    db = openDatabase(database.url, { queryTimeoutMs: 4_000 })
  })
  after(async () => {
    await db?.destroy()
    await database?.drop()
  })

  it('opens every finding of a new scan, first and last seen at the scan', async () => {
    const recorded = await record(
      db,
      scanOf('new:1', 'sha256:a', [finding('CVE-1', 'zlib', 'critical', '1.3'), finding('CVE-2', 'openssl')]),
    )
    expect(recorded.decision.outcome).to.equal('new')
    const state = await findingsOf(db, 'new:1')
    expect([...state.keys()].sort()).to.deep.equal(['CVE-1', 'CVE-2'])
    expect(state.get('CVE-1')).to.deep.include({
      registry: 'reg.example.com',
      image: 'new:1',
      resource: 'zlib',
      resourceVersion: '1.2',
      severity: 'critical',
      fixVersion: '1.3',
      state: 'open',
      fixedAt: null,
      timesReopened: 0,
    })
    expect(state.get('CVE-2')!.firstSeen.getTime()).to.equal(state.get('CVE-2')!.lastSeen.getTime())
  })

  it('a changed rescan fixes what it left out and opens what it added; a regression reopens and counts', async () => {
    await record(db, scanOf('app:1', 'sha256:a', [finding('CVE-1'), finding('CVE-2'), finding('CVE-3')]))
    const first = await findingsOf(db, 'app:1')
    const changed = await record(
      db,
      scanOf('app:1', 'sha256:a', [finding('CVE-2'), finding('CVE-3', 'zlib', 'critical', '1.4'), finding('CVE-4')]),
    )
    expect(changed.decision.outcome).to.equal('changed')
    const second = await findingsOf(db, 'app:1')
    expect(second.get('CVE-1')).to.deep.include({ state: 'fixed', timesReopened: 0 })
    expect(second.get('CVE-1')!.fixedAt).to.be.an.instanceOf(Date)
    expect(second.get('CVE-1')!.lastSeen.getTime()).to.equal(first.get('CVE-1')!.lastSeen.getTime())
    expect(second.get('CVE-3')).to.deep.include({ state: 'open', severity: 'critical', fixVersion: '1.4' })
    expect(second.get('CVE-3')!.firstSeen.getTime()).to.equal(first.get('CVE-3')!.firstSeen.getTime())
    expect(second.get('CVE-3')!.lastSeen.getTime()).to.be.greaterThan(first.get('CVE-3')!.lastSeen.getTime())
    expect(second.get('CVE-4')).to.deep.include({ state: 'open', timesReopened: 0 })

    // Back, gone again, back again: two reopenings, each clearing fixed_at.
    await record(db, scanOf('app:1', 'sha256:b', [finding('CVE-1'), finding('CVE-2')]))
    expect((await findingsOf(db, 'app:1')).get('CVE-1')).to.deep.include({ state: 'open', fixedAt: null, timesReopened: 1 })
    await record(db, scanOf('app:1', 'sha256:b', [finding('CVE-2')]))
    expect((await findingsOf(db, 'app:1')).get('CVE-1')).to.deep.include({ state: 'fixed' })
    await record(db, scanOf('app:1', 'sha256:b', [finding('CVE-1'), finding('CVE-2')]))
    const last = await findingsOf(db, 'app:1')
    expect(last.get('CVE-1')).to.deep.include({ state: 'open', fixedAt: null, timesReopened: 2 })
    expect(last.get('CVE-1')!.firstSeen.getTime()).to.equal(first.get('CVE-1')!.firstSeen.getTime())
    expect([...last.values()].filter((f) => f.state === 'open').map((f) => f.vulnerability)).to.have.members(['CVE-1', 'CVE-2'])
  })

  it('an unchanged rescan refreshes last_seen of the open findings only', async () => {
    const scan = scanOf('same:1', 'sha256:a', [finding('CVE-1'), finding('CVE-2')])
    await record(db, scan)
    await record(db, scanOf('same:1', 'sha256:a', [finding('CVE-1')]))
    const before = await findingsOf(db, 'same:1')
    const again = await record(db, scanOf('same:1', 'sha256:a', [finding('CVE-1')]))
    expect(again.decision.outcome).to.equal('unchanged')
    const after = await findingsOf(db, 'same:1')
    expect(after.get('CVE-1')!.lastSeen.getTime()).to.be.greaterThan(before.get('CVE-1')!.lastSeen.getTime())
    expect(after.get('CVE-1')!.firstSeen.getTime()).to.equal(before.get('CVE-1')!.firstSeen.getTime())
    expect(after.get('CVE-2')).to.deep.equal(before.get('CVE-2'))
  })

  it('keeps images apart: a rescan of one image fixes nothing of another, in or out of one batch', async () => {
    const shared = [finding('CVE-1'), finding('CVE-2')]
    await record(db, scanOf('left:1', 'sha256:a', shared))
    await record(db, scanOf('right:1', 'sha256:a', shared))
    await record(db, scanOf('left:1', 'sha256:a', shared, 'other-registry'))
    // One group commit: left fixes CVE-2, right is unchanged, another registry's left gains CVE-3.
    const inputs = [
      scanOf('left:1', 'sha256:a', [finding('CVE-1')]),
      scanOf('right:1', 'sha256:a', shared),
      scanOf('left:1', 'sha256:a', [...shared, finding('CVE-3')], 'other-registry'),
    ].map((scan) => ({ id: randomUUID(), scan, rawBody: '{}', fingerprint: scanFingerprint(scan) }))
    const recorded = await recordScans(db, inputs, () => [])
    expect(recorded.map((r) => r.decision.outcome)).to.deep.equal(['changed', 'unchanged', 'changed'])
    const states = (m: Map<string, FindingView>) => Object.fromEntries([...m].map(([k, f]) => [k, f.state]))
    expect(states(await findingsOf(db, 'left:1'))).to.deep.equal({ 'CVE-1': 'open', 'CVE-2': 'fixed' })
    expect(states(await findingsOf(db, 'right:1'))).to.deep.equal({ 'CVE-1': 'open', 'CVE-2': 'open' })
    expect(states(await findingsOf(db, 'left:1', 'other-registry'))).to.deep.equal({ 'CVE-1': 'open', 'CVE-2': 'open', 'CVE-3': 'open' })
  })

  it('stores a finding twice in one scan once', async () => {
    await record(db, scanOf('dup:1', 'sha256:a', [finding('CVE-1'), finding('CVE-1', 'zlib', 'low'), finding('CVE-2')]))
    expect([...(await findingsOf(db, 'dup:1')).keys()].sort()).to.deep.equal(['CVE-1', 'CVE-2'])
  })

  it('filters by state and vulnerability and pages with a cursor', async () => {
    await record(db, scanOf('page:1', 'sha256:a', [finding('CVE-1'), finding('CVE-2'), finding('CVE-3'), finding('CVE-4')]))
    await record(db, scanOf('page:1', 'sha256:a', [finding('CVE-1'), finding('CVE-2'), finding('CVE-3')]))
    const first = await listFindings(db, { image: 'page:1', state: 'open', limit: 2 })
    expect(first.findings.map((f) => f.vulnerability)).to.deep.equal(['CVE-1', 'CVE-2'])
    const second = await listFindings(db, { image: 'page:1', state: 'open', limit: 2, cursor: first.next! })
    expect(second.findings.map((f) => f.vulnerability)).to.deep.equal(['CVE-3'])
    expect(second.next).to.equal(undefined)
    expect((await listFindings(db, { image: 'page:1', state: 'fixed' })).findings.map((f) => f.vulnerability)).to.deep.equal(['CVE-4'])
    const byCve = await listFindings(db, { vulnerability: 'CVE-4' })
    expect(byCve.findings.map((f) => `${f.image} ${f.state}`)).to.include('page:1 fixed')
  })

  it('writes nothing of the findings when the scan transaction fails', async () => {
    const scan = scanOf('rollback:1', 'sha256:a', [finding('CVE-1')])
    const id = randomUUID()
    const delivery = () => ({ id: randomUUID(), output: 'same', kind: 'webhook', status: 'pending' as const })
    let failed = false
    await recordScan(db, { id, scan, rawBody: '{}', fingerprint: scanFingerprint(scan) }, () => [delivery(), delivery()]).catch(() => {
      failed = true
    })
    expect(failed).to.equal(true)
    expect((await findingsOf(db, 'rollback:1')).size).to.equal(0)
  })

  it('keeps 85,000 findings of one image and their full rescan within the client query timeout', async function () {
    this.timeout(180_000)
    const big = parseAquaScan(JSON.parse(largeAquaScanBody(85_000, 'lifecycle', 'v1').toString('utf8')))
    expect((await record(db, big)).decision.outcome).to.equal('new')
    const count = async (state: 'open' | 'fixed') =>
      Number(
        (
          await db
            .selectFrom('findings')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('image', '=', big.image)
            .where('state', '=', state)
            .executeTakeFirstOrThrow()
        ).n,
      )
    expect(await count('open')).to.equal(85_000)
    // Its full rescan under another digest: changed (another identity), every row updated, none fixed.
    const full = parseAquaScan(JSON.parse(largeAquaScanBody(85_000, 'lifecycle', 'v2').toString('utf8')))
    expect((await record(db, full)).decision.outcome).to.equal('changed')
    expect([await count('open'), await count('fixed')]).to.deep.equal([85_000, 0])
    // A rescan with every CVE number moved: 85,000 new findings and 85,000 fixed in one transaction.
    const moved = parseAquaScan(JSON.parse(largeAquaScanBody(85_000, 'lifecycle', 'v3', 85_000).toString('utf8')))
    expect((await record(db, moved)).decision.outcome).to.equal('changed')
    expect([await count('open'), await count('fixed')]).to.deep.equal([85_000, 85_000])
    // The same rescan again: unchanged, one statement refreshes the 85,000 open rows.
    expect((await record(db, moved)).decision.outcome).to.equal('unchanged')
    expect([await count('open'), await count('fixed')]).to.deep.equal([85_000, 85_000])
  })
})
