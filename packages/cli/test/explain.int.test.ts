import { randomUUID } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { expect } from 'chai'
import type { Kysely } from 'kysely'
import { parseScanBody, scanFingerprint } from '@postee/shared'
import { openDatabase, recordScan, type Database } from '@postee/store'
import { SCAN_FIXTURES, createTestDatabase, fixturePath, readFixture, readFixtureJson, type TestDatabase } from '@postee/testkit'
import { run } from '../src/cli.js'

/**
 * `postee explain` against a real, migrated Postgres: the rescan decision from the stored history,
 * the policy decisions of a config with every output kind, and the previews' sizes; and nothing
 * written. The integrations point at a closed port: explain must never send.
 */
const DIR = mkdtempSync(join(tmpdir(), 'postee-explain-'))
const NOWHERE = 'http://127.0.0.1:9'

const CONFIG = `- name: common
  type: common
  AquaServer: https://aqua.example.com
- name: hook
  type: webhook
  enable: true
  url: ${NOWHERE}/hook/s3cret
  Policy-Show-All: true
- name: chat
  type: slack
  enable: true
  url: ${NOWHERE}/services/T0/B0/s3cret
  Policy-Min-Vulnerability: critical
- name: teams-alerts
  type: teams
  enable: true
  format: adaptive
  url: ${NOWHERE}/workflows/x/triggers/manual/paths/invoke?sig=s3cret
- name: jira-vulns
  type: jira
  enable: true
  url: ${NOWHERE}
  user: bot@example.com
  password: s3cret
  project_key: VUL
  Policy-Registry: ["Docker*"]
- name: mail
  type: email
  enable: true
  host: 127.0.0.1
  port: 9
  sender: postee@example.com
  recipients: [sec@example.com]
  Aggregate-Issues-Number: 5
  Aggregate-Issues-Timeout: 1h
- name: splunk
  type: splunk
  enable: true
  url: ${NOWHERE}
  token: s3cret
- name: sn
  type: serviceNow
  enable: true
  instance: ${NOWHERE}
  user: postee
  password: s3cret
  Ignore-Image-Name: ["all-in-one:*"]
- name: off
  type: slack
  enable: false
  url: ${NOWHERE}/off
`

function file(name: string, content: string | Buffer): string {
  const path = join(DIR, name)
  writeFileSync(path, content)
  return path
}

const configPath = file('cfg.yaml', CONFIG)

function captureIo(env: NodeJS.ProcessEnv) {
  const out: string[] = []
  const err: string[] = []
  return { io: { env, out: (line: string) => out.push(line), err: (line: string) => err.push(line) }, out, err }
}

type AquaJson = Record<string, unknown> & { resources: { vulnerabilities: { name: string }[] }[] }

/** aqua-input under another image, so tests keep to their own history. */
function aquaPayload(image: string, digest: string, swapFirstCve = false): string {
  const json = readFixtureJson<AquaJson>('aqua-input.json')
  json.image = image
  json.digest = digest
  json.previous_digest = ''
  if (swapFirstCve) json.resources[0]!.vulnerabilities[0]!.name = 'CVE-2099-0001'
  return JSON.stringify(json)
}

describe('postee explain (Postgres)', function () {
  let database: TestDatabase
  let db: Kysely<Database>
  let env: NodeJS.ProcessEnv

  async function store(rawBody: string): Promise<void> {
    const { scan } = parseScanBody(Buffer.from(rawBody))
    await recordScan(db, { id: randomUUID(), scan, rawBody, fingerprint: scanFingerprint(scan) }, () => [])
  }

  async function explain(args: readonly string[], runEnv = env): Promise<{ code: number; text: string; err: string }> {
    const { io, out, err } = captureIo(runEnv)
    const code = await run(['explain', ...args, '--config', configPath], io)
    return { code, text: out.join('\n'), err: err.join('\n') }
  }

  before(async () => {
    database = await createTestDatabase()
    db = openDatabase(database.url)
    env = { DATABASE_URL: database.url }
  })
  after(async () => {
    await db?.destroy()
    await database?.drop()
  })

  describe('every shared fixture: decision and sizes, each within its limit', () => {
    for (const fixture of SCAN_FIXTURES) {
      it(fixture, async () => {
        const { code, text } = await explain([fixturePath(fixture)])
        expect(code, text).to.equal(0)
        expect(text).to.match(/^scan {6}(aqua|trivy|trivy-operator): /m)
        expect(text).to.match(/^decision {2}new: no stored scan of /m)
        expect(text)
          .to.match(/^7 enabled integrations:$/m)
          .and.not.match(/\boff \(slack\)/)
        expect(text).to.match(/^SEND {2}hook \(webhook\): the original payload \(JSON\); body [\d,]+ bytes$/m)
        expect(text).to.match(/^SEND {2}teams-alerts \(teams\): Adaptive Card \(Workflows\); body [\d,]+\/28,000 bytes$/m)
        expect(text).to.match(/^SEND {2}splunk \(splunk\): HEC event \(JSON\); body [\d,]+\/10,000 bytes$/m)
        expect(text).to.not.include('OVER THE LIMIT').and.not.include('no preview')
      })
    }
  })

  it('names the policy key of each skip, and the aggregation of a held output', async () => {
    const { text } = await explain([fixturePath('all-in-one-image.json')])
    expect(text).to.match(/^SKIP {2}chat \(slack\): Policy-Min-Vulnerability: no vulnerability at critical \(critical 0\)$/m)
    expect(text).to.match(/^SKIP {2}jira-vulns \(jira\): Policy-Registry: registry "Aqua" matches none of Policy-Registry \["Docker\*"\]$/m)
    expect(text).to.match(
      /^SKIP {2}sn \(serviceNow\): Ignore-Image-Name: image "all-in-one:3.5.19223" matches Ignore-Image-Name pattern "all-in-one:\*"$/m,
    )
    expect(text).to.match(
      /^SEND {2}mail \(email\), held for aggregation \(flushed at 5 scans or window 1h\): .*subject \d+\/250 characters, text part [\d,]+\/100,000 bytes, html part [\d,]+\/100,000 bytes$/m,
    )
  })

  it('shows slack blocks and text, jira and serviceNow fields against their limits', async () => {
    const { text } = await explain([fixturePath('extracted/v1-scanservice_test.AshexPokemongoSource.json')])
    expect(text).to.match(/^SEND {2}chat \(slack\): Block Kit .*; blocks \d+\/50, text [\d,]+\/12,000 characters, body [\d,]+ bytes$/m)
    expect(text).to.match(
      /^SEND {2}jira-vulns \(jira\): Jira issue, wiki markup \(REST API v2\); summary \d+\/255 characters, description [\d,]+\/32,767 characters$/m,
    )
    expect(text).to.match(
      /^SEND {2}sn \(serviceNow\): .*short_description \d+\/160 characters, description [\d,]+\/4,000 characters, work_notes [\d,]+\/4,000 characters$/m,
    )
  })

  it('a rescan with one CVE swapped: changed against the stored digest, with the diff per severity', async () => {
    await store(aquaPayload('explain-changed:1', 'sha256:v1'))
    const { text } = await explain([file('changed.json', aquaPayload('explain-changed:1', 'sha256:v2', true))])
    expect(text).to.match(/^decision {2}changed against sha256:v1 \(stored scan [0-9a-f-]{36}\)$/m)
    expect(text).to.match(/^ {10}diff: 1 added \(medium 1\), 1 fixed \(medium 1\)$/m)
  })

  it('an identical rescan: unchanged, explained, and only Policy-Show-All sends it', async () => {
    const payload = aquaPayload('explain-unchanged:1', 'sha256:same')
    await store(payload)
    const { text } = await explain([file('unchanged.json', payload)])
    expect(text).to.match(/^decision {2}unchanged: the stored scan of this registry, image and digest has the same findings/m)
    expect(text).to.match(/^SEND {2}hook \(webhook\)/m)
    expect(text.match(/^SKIP .*: Policy-Show-All: unchanged rescan/gm)).to.have.length(6)
  })

  it('writes nothing: every table has the same rows before and after', async () => {
    await store(aquaPayload('explain-readonly:1', 'sha256:r1'))
    const tables = ['scans', 'scan_history', 'deliveries', 'aggregation_windows'] as const
    const counts = async () =>
      Promise.all(tables.map(async (t) => Number((await db.selectFrom(t).select(db.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)))
    const before = await counts()
    await explain([file('readonly-changed.json', aquaPayload('explain-readonly:1', 'sha256:r2', true))])
    await explain([file('readonly-same.json', aquaPayload('explain-readonly:1', 'sha256:r1'))])
    await explain([fixturePath('trivy-input.json'), '--json'])
    expect(await counts()).to.deep.equal(before)
  })

  it('--json prints all of it, with each preview body', async () => {
    const { code, text } = await explain([fixturePath('aqua-input.json'), '--json'])
    expect(code).to.equal(0)
    const parsed = JSON.parse(text)
    expect(parsed.scan).to.include({ source: 'aqua', registry: 'Aqua', image: 'all-in-one:3.5.19223', findings: 5 })
    expect(parsed.decision).to.include({ outcome: 'new', baseDigest: null })
    expect(parsed.history).to.deep.equal({ consulted: true })
    const hook = parsed.integrations.find((i: { name: string }) => i.name === 'hook')
    expect(hook.preview.body).to.equal(readFixture('aqua-input.json').toString('utf8'))
    const chat = parsed.integrations.find((i: { name: string }) => i.name === 'chat')
    expect(JSON.parse(chat.preview.body)).to.have.keys('text', 'blocks')
    expect(parsed.integrations.map((i: { name: string }) => i.name)).to.not.include('off')
  })

  it('reads a gzipped payload', async () => {
    const { code, text } = await explain([file('scan.json.gz', gzipSync(readFixture('trivy-operator-input.json')))])
    expect(code, text).to.equal(0)
    expect(text).to.match(/^scan {6}trivy-operator: /m)
  })

  it('without Postgres, or with --no-history, says so and assumes new', async () => {
    const away = await explain([fixturePath('aqua-input.json')], { DATABASE_URL: 'postgres://postgres@127.0.0.1:9/none' })
    expect(away.code).to.equal(0)
    expect(away.text)
      .to.match(/^decision {2}new: /m)
      .and.match(/note: the history could not be read \(.+\), so the scan is taken as new/)
    const skipped = await explain([fixturePath('aqua-input.json'), '--no-history'])
    expect(skipped.text).to.match(/note: the history was not consulted \(--no-history\)/)
  })

  it('exit 1 with the reason for a bad payload or config, 2 for bad usage', async () => {
    const missing = await explain([join(DIR, 'nope.json')])
    expect(missing.code).to.equal(1)
    expect(missing.err).to.match(/cannot read the payload .*nope\.json \(ENOENT/)
    const notScan = await explain([file('not-a-scan.json', '{"user":"demo"}')])
    expect(notScan.code).to.equal(1)
    expect(notScan.err).to.match(/not-a-scan\.json: the body is not a scan this service accepts/)
    const badConfig = captureIo(env)
    expect(
      await run(['explain', fixturePath('aqua-input.json'), '--config', file('bad.yaml', '- name: x\n  type: jiraa\n')], badConfig.io),
    ).to.equal(1)
    expect(badConfig.err.join('\n')).to.match(/did you mean jira\?/)
    const usage = captureIo(env)
    expect(await run(['explain'], usage.io)).to.equal(2)
    expect(usage.err.join('\n'))
      .to.match(/name exactly one payload file/)
      .and.include('postee explain PAYLOAD.json')
  })
})
