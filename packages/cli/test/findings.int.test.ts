import { randomUUID } from 'node:crypto'
import { expect } from 'chai'
import { countBySeverity, scanFingerprint, type Finding, type Scan } from '@postee/shared'
import { openDatabase, recordScan } from '@postee/store'
import { createTestDatabase, generatedScan, type TestDatabase } from '@postee/testkit'
import { run } from '../src/cli.js'

function captureIo(env: NodeJS.ProcessEnv) {
  const out: string[] = []
  const err: string[] = []
  return { io: { env, out: (line: string) => out.push(line), err: (line: string) => err.push(line) }, out, err }
}

const finding = (vulnerability: string, fixVersion = ''): Finding => ({
  resource: 'zlib',
  resourceVersion: '1.2',
  vulnerability,
  severity: 'high',
  fixVersion,
})

function scanOf(image: string, findings: readonly Finding[]): Scan {
  return { ...generatedScan(0), registry: 'reg.example.com', image, digest: 'sha256:a', findings, counts: countBySeverity(findings) }
}

describe('postee findings', function () {
  let database: TestDatabase
  let env: NodeJS.ProcessEnv

  before(async () => {
    database = await createTestDatabase()
    env = { DATABASE_URL: database.url }
    const db = openDatabase(database.url)
    const record = (scan: Scan) => recordScan(db, { id: randomUUID(), scan, rawBody: '{}', fingerprint: scanFingerprint(scan) }, () => [])
    await record(scanOf('team/app:1', [finding('CVE-1', '1.3'), finding('CVE-2')]))
    await record(scanOf('team/app:1', [finding('CVE-2'), finding('CVE-3')]))
    await record(scanOf('team/web:2', [finding('CVE-2')]))
    await db.destroy()
  })
  after(async () => {
    await database?.drop()
  })

  it('prints a table of each finding with its state, first and last seen', async () => {
    const { io, out } = captureIo(env)
    expect(await run(['findings'], io)).to.equal(0)
    expect(out[0]).to.match(
      /^IMAGE\s+RESOURCE\s+VERSION\s+VULNERABILITY\s+SEVERITY\s+FIX\s+STATE\s+FIRST SEEN\s+LAST SEEN\s+FIXED AT\s+REOPENED$/,
    )
    expect(out).to.have.length(5)
    expect(out[1]).to.match(/^reg\.example\.com\/team\/app:1\s+zlib\s+1\.2\s+CVE-1\s+high\s+1\.3\s+fixed\s+\S+Z\s+\S+Z\s+\S+Z\s+0$/)
    expect(out[2]).to.match(/CVE-2\s+high\s+-\s+open\s+\S+Z\s+\S+Z\s+-\s+0$/)
  })

  it('filters like the API and pages with --cursor', async () => {
    const open = captureIo(env)
    expect(await run(['findings', '--image', 'team/app:1', '--state', 'open', '--json'], open.io)).to.equal(0)
    const page = JSON.parse(open.out.join('\n')) as { findings: { vulnerability: string }[] }
    expect(page.findings.map((f) => f.vulnerability)).to.deep.equal(['CVE-2', 'CVE-3'])
    const byCve = captureIo(env)
    expect(await run(['findings', '--vulnerability', 'CVE-2', '--registry', 'reg.example.com', '--json'], byCve.io)).to.equal(0)
    expect((JSON.parse(byCve.out.join('\n')) as { findings: { image: string }[] }).findings.map((f) => f.image)).to.deep.equal([
      'team/app:1',
      'team/web:2',
    ])
    const first = captureIo(env)
    expect(await run(['findings', '--limit', '2'], first.io)).to.equal(0)
    expect(first.out).to.have.length(4)
    const cursor = /--cursor (\d+)$/.exec(first.out[3]!)?.[1]
    expect(cursor).to.be.a('string')
    const second = captureIo(env)
    expect(await run(['findings', '--limit', '2', '--cursor', cursor!, '--json'], second.io)).to.equal(0)
    const rest = JSON.parse(second.out.join('\n')) as { findings: { vulnerability: string }[]; next?: string }
    expect(rest.findings.map((f) => f.vulnerability)).to.deep.equal(['CVE-3', 'CVE-2'])
    expect(rest.next).to.equal(undefined)
    const none = captureIo(env)
    expect(await run(['findings', '--image', 'nothing:0', '--state', 'fixed'], none.io)).to.equal(0)
    expect(none.out).to.deep.equal(['no fixed findings'])
  })

  it('refuses bad flags with exit code 2 and says what to write', async () => {
    for (const [args, message] of [
      [['--state', 'closed'], /--state must be one of open, fixed/],
      [['--limit', '0'], /--limit must be a whole number from 1 to 1000/],
      [['--limit', '1001'], /--limit must be a whole number from 1 to 1000/],
      [['--cursor', 'abc'], /--cursor must be the one a previous page printed/],
      [['--colour'], /Unknown option/],
    ] as const) {
      const { io, err, out } = captureIo(env)
      expect(await run(['findings', ...args], io), args.join(' ')).to.equal(2)
      expect(err.join('\n')).to.match(message).and.include('postee findings [--registry NAME]')
      expect(out).to.deep.equal([])
    }
  })
})
