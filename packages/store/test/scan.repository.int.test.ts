import { expect } from 'chai'
import type { Kysely } from 'kysely'
import { parseAquaScan, scanFingerprint, type Scan } from '@postee/shared'
import { createTestDatabase, readFixtureJson, type TestDatabase } from '@postee/testkit'
import { openDatabase, recordScan, recordScans, getScanView, type Database, type PlannedDelivery } from '../src/index.js'
import { randomUUID } from 'node:crypto'

type AquaJson = Record<string, unknown> & { resources: { vulnerabilities: { name: string }[] }[] }

function record(db: Kysely<Database>, scan: Scan, outputs: string[] = ['hook']) {
  const id = randomUUID()
  return recordScan(db, { id, scan, rawBody: JSON.stringify({ image: scan.image }), fingerprint: scanFingerprint(scan) }, ({ outcome }) =>
    outcome === 'unchanged'
      ? []
      : outputs.map((output): PlannedDelivery => ({ id: randomUUID(), output, kind: 'webhook', status: 'pending' })),
  ).then((recorded) => ({ id, ...recorded }))
}

describe('recordScan (Postgres)', function () {
  let database: TestDatabase
  let db: Kysely<Database>

  before(async () => {
    database = await createTestDatabase()
    db = openDatabase(database.url)
  })
  after(async () => {
    await db?.destroy()
    await database?.drop()
  })

  it('stores a first scan as new with its deliveries, and an identical rescan as unchanged with none', async () => {
    const alpine = parseAquaScan(readFixtureJson('extracted/v1-scanservice_test.AlpineImageSource.json'))
    const first = await record(db, alpine)
    const second = await record(db, alpine)
    expect(first.decision.outcome).to.equal('new')
    expect(first.deliveries).to.have.length(1)
    expect(second.decision.outcome).to.equal('unchanged')
    expect(second.deliveries).to.have.length(0)
    const rows = await db.selectFrom('deliveries').selectAll().where('scan_id', 'in', [first.id, second.id]).execute()
    expect(rows.map((r) => r.status)).to.deep.equal(['pending'])
    expect(await db.selectFrom('scans').select('id').where('id', 'in', [first.id, second.id]).execute()).to.have.length(2)
  })

  it('diffs a CVE swapped for another of the same severity: changed, 1 added and 1 fixed', async () => {
    const json = readFixtureJson<AquaJson>('aqua-input.json')
    json.image = 'swap-test:1'
    const original = parseAquaScan(json)
    const swappedJson = structuredClone(json)
    swappedJson.resources[0]!.vulnerabilities[0]!.name = 'CVE-2099-0001'
    await record(db, original)
    const changed = await record(db, parseAquaScan(swappedJson))
    expect(changed.decision.outcome).to.equal('changed')
    const view = await getScanView(db, changed.id)
    expect(view?.diff).to.include({ added: 1, fixed: 1 })
    expect(view?.base?.digest).to.equal(original.digest)
  })

  it('uses the previous digest named by the payload as the base, and the latest other digest otherwise', async () => {
    const json = readFixtureJson<AquaJson>('aqua-input.json')
    json.image = 'base-test:1'
    const v1 = { ...json, digest: 'sha256:v1', previous_digest: '' }
    const v2 = { ...json, digest: 'sha256:v2', previous_digest: '' }
    const v3 = { ...json, digest: 'sha256:v3', previous_digest: 'sha256:v1' }
    expect((await record(db, parseAquaScan(v1))).decision.outcome).to.equal('new')
    const second = await record(db, parseAquaScan(v2))
    expect(second.decision.outcome).to.equal('changed')
    expect(second.decision.base?.digest).to.equal('sha256:v1')
    const third = await record(db, parseAquaScan(v3))
    expect(third.decision.base?.digest).to.equal('sha256:v1')
    const fourth = await record(db, parseAquaScan({ ...json, digest: 'sha256:v4', previous_digest: '' }))
    expect(fourth.decision.base?.digest).to.equal('sha256:v3')
  })

  it('decides atomically: the same scan recorded at the same moment from separate pools is new once', async () => {
    const json = readFixtureJson<AquaJson>('aqua-input.json')
    json.image = 'race-test:1'
    const scan = parseAquaScan(json)
    const pools = Array.from({ length: 6 }, () => openDatabase(database.url, { max: 1 }))
    try {
      const results = await Promise.all(pools.map((pool) => record(pool, scan)))
      const outcomes = results.map((r) => r.decision.outcome).sort()
      expect(outcomes).to.deep.equal(['new', 'unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged'])
    } finally {
      await Promise.all(pools.map((pool) => pool.destroy()))
    }
  })

  it('decides scans of one identity in one batch as if committed one after the other', async () => {
    const json = readFixtureJson<AquaJson>('aqua-input.json')
    json.image = 'batch-test:1'
    const swapped = structuredClone(json)
    swapped.resources[0]!.vulnerabilities[0]!.name = 'CVE-2099-0002'
    const bodies = [json, json, swapped, swapped, json]
    const inputs = bodies.map((body) => {
      const scan = parseAquaScan(body)
      return { id: randomUUID(), scan, rawBody: '{}', fingerprint: scanFingerprint(scan) }
    })
    const recorded = await recordScans(db, inputs, () => [])
    expect(recorded.map((r) => r.decision.outcome)).to.deep.equal(['new', 'unchanged', 'changed', 'unchanged', 'changed'])
    expect(recorded[2]!.decision.diff?.added.map((f) => f.vulnerability)).to.deep.equal(['CVE-2099-0002'])
    expect(recorded[4]!.decision.base?.scanId).to.equal(inputs[2]!.id)
    const history = await db.selectFrom('scan_history').selectAll().where('image', '=', 'batch-test:1').execute()
    expect(history).to.have.length(1)
    expect(history[0]!.latest_scan_id).to.equal(inputs[4]!.id)
    // A later, separate commit sees what the batch left.
    expect((await record(db, parseAquaScan(json))).decision.outcome).to.equal('unchanged')
  })

  it('stores nothing when the transaction fails midway', async () => {
    const json = readFixtureJson<AquaJson>('aqua-input.json')
    json.image = 'rollback-test:1'
    const scan = parseAquaScan(json)
    const id = randomUUID()
    const duplicateOutput = (): PlannedDelivery => ({ id: randomUUID(), output: 'same', kind: 'webhook', status: 'pending' })
    let failed = false
    try {
      // Two deliveries to one output break the (scan, output) unique key after the scan row was written.
      await recordScan(db, { id, scan, rawBody: '{}', fingerprint: scanFingerprint(scan) }, () => [duplicateOutput(), duplicateOutput()])
    } catch {
      failed = true
    }
    expect(failed).to.equal(true)
    expect(await db.selectFrom('scans').select('id').where('id', '=', id).execute()).to.have.length(0)
    expect(await db.selectFrom('scan_history').select('id').where('image', '=', 'rollback-test:1').execute()).to.have.length(0)
  })
})
