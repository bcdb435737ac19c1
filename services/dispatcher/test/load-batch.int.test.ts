import { randomUUID } from 'node:crypto'
import { expect } from 'chai'
import type { Kysely } from 'kysely'
import { parseScanBody, scanFingerprint } from '@postee/shared'
import { getDelivery, openDatabase, recordScan, type Database } from '@postee/store'
import { createTestDatabase, readFixtureJson, type TestDatabase } from '@postee/testkit'
import { loadBatch } from '../src/load-batch.js'

function operatorReport(workload: string): Buffer {
  const report = readFixtureJson<any>('trivy-operator-input.json')
  report.metadata.labels['trivy-operator.resource.name'] = workload
  return Buffer.from(JSON.stringify(report))
}

describe('loadBatch (Postgres)', () => {
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

  it('names every workload known to run the image when the message is built, not only the first', async () => {
    let deliveryId = ''
    for (const workload of ['web', 'api', 'worker']) {
      const { scan, rawBody } = parseScanBody(operatorReport(workload))
      await recordScan(db, { id: randomUUID(), scan, rawBody, fingerprint: scanFingerprint(scan) }, ({ outcome }) => {
        if (outcome !== 'new') return []
        deliveryId = randomUUID()
        return [{ id: deliveryId, output: 'hook', kind: 'webhook', status: 'pending' }]
      })
    }
    const delivery = await getDelivery(db, deliveryId)
    const batch = await loadBatch(db, delivery!)
    expect(batch.aggregated).to.equal(false)
    expect(batch.items).to.have.length(1)
    expect(batch.items[0]!.scan.workloads.map((w) => w.name)).to.deep.equal(['api', 'web', 'worker'])
    expect(batch.items[0]!.rawBody).to.equal(operatorReport('web').toString())
  })
})
