import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { expect } from 'chai'
import fc from 'fast-check'
import { readFixture, startStack, type Stack } from '@postee/testkit'

/** Resident memory of a process, from /proc (Linux), in MB. */
function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match ? Number(match[1]) / 1024 : 0
}

const fixture = readFixture('extracted/v1-scanservice_test.AshexPokemongoSource.json')

interface Sample {
  readonly body: Uint8Array
  readonly headers: Record<string, string>
}

const sample = (body: Uint8Array, headers: Record<string, string> = {}): Sample => ({ body, headers })

/** Malformed bodies of every kind the issue names, generated. */
const malformed: fc.Arbitrary<Sample> = fc.oneof(
  // truncated real scans
  fc.integer({ min: 0, max: fixture.length - 2 }).map((cut) => sample(fixture.subarray(0, cut))),
  // deeply nested
  fc
    .integer({ min: 65, max: 200_000 })
    .map((depth) => sample(Buffer.from(`{"image":"x","registry":"r","a":${'['.repeat(depth)}${']'.repeat(depth)}}`))),
  // huge strings where a name goes
  fc.integer({ min: 5_000, max: 2_000_000 }).map((size) => sample(Buffer.from(JSON.stringify({ image: 'x'.repeat(size), registry: 'r' })))),
  // invalid UTF-8 inside otherwise valid JSON
  fc
    .uint8Array({ minLength: 1, maxLength: 8 })
    .map((junk) => sample(Buffer.concat([Buffer.from('{"image":"'), Buffer.from([0xff, ...junk]), Buffer.from('","registry":"r"}')]))),
  // wrong types in the fields that matter
  fc
    .record({ image: fc.anything(), registry: fc.anything(), resources: fc.anything() })
    .filter((value) => typeof value.image !== 'string' || typeof value.registry !== 'string')
    .map((value) => sample(Buffer.from(JSON.stringify(value) ?? 'null'))),
  // random bytes, claimed to be gzip or not
  fc
    .record({ body: fc.uint8Array({ maxLength: 4096 }), gzip: fc.boolean() })
    .map(({ body, gzip }) => sample(body, gzip ? { 'content-encoding': 'gzip' } : {})),
  // a gzip bomb over the limit
  fc.constant(sample(gzipSync(Buffer.alloc(30 * 1024 * 1024, 0x20)), { 'content-encoding': 'gzip' })),
)

describe('ingest under an HTTP fuzz run (a live process)', function () {
  this.timeout(180_000)
  let stack: Stack

  before(async () => {
    stack = await startStack({
      config: '- name: hook\n  type: webhook\n  enable: true\n  url: http://127.0.0.1:9/hook\n',
      dispatchers: 0,
      env: { POSTEE_LOG_LEVEL: 'warn' },
    })
  })
  after(async () => stack?.stop())

  it('answers every malformed body with a 4xx, stays up, and keeps its memory bounded', async () => {
    const url = stack.ingestUrls[0]!
    const pid = stack.ingests[0]!.child.pid!
    const statuses = new Map<number, number>()
    const samples = fc.sample(malformed, { numRuns: 400, seed: 20261126 })
    const started = rssMb(pid)
    let peak = started
    for (let i = 0; i < samples.length; i += 8) {
      await Promise.all(
        samples.slice(i, i + 8).map(async ({ body, headers }) => {
          const response = await fetch(`${url}/scan`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } })
          const text = await response.text()
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1)
          if (response.status < 400 || response.status >= 500)
            throw new Error(`HTTP ${response.status} for a malformed body: ${text.slice(0, 200)}`)
          expect(JSON.parse(text).error).to.be.a('string').and.not.equal('')
        }),
      )
      peak = Math.max(peak, rssMb(pid))
    }
    expect((await fetch(`${url}/healthz`)).status).to.equal(200)
    const valid = await fetch(`${url}/scan`, { method: 'POST', body: fixture, headers: { 'content-type': 'application/json' } })
    expect(valid.status).to.equal(202)
    console.log(
      `      fuzz: ${samples.length} bodies → ${JSON.stringify(Object.fromEntries(statuses))}; RSS ${started.toFixed(0)} → peak ${peak.toFixed(0)} MB`,
    )
    expect(peak).to.be.lessThan(300)
  })
})
