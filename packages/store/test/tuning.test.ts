import { expect } from 'chai'
import { ConfigError, readEnvironment } from '@postee/shared'
import { INGEST_ENTRY, DISPATCHER_ENTRY, startProcess } from '@postee/testkit'

function problemKeys(read: () => unknown): string[] {
  try {
    read()
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError)
    return (error as ConfigError).problems.map((p) => `${p.item} › ${p.key}`)
  }
  throw new Error('expected a ConfigError')
}

describe('process tuning from the environment', () => {
  it('uses the documented defaults', () => {
    expect(readEnvironment({}).tuning).to.deep.equal({
      lockMs: 30_000,
      stalledCheckMs: 15_000,
      drainGraceMs: 20_000,
      relayIntervalMs: 5_000,
    })
    expect(readEnvironment({}).relaySettings).to.deep.equal({ unqueuedAfterMs: 5_000, requeueAfterMs: 120_000, batchSize: 500 })
  })

  it('reads every variable, and lists every bad one at once', () => {
    expect(readEnvironment({ POSTEE_LOCK_DURATION_MS: '2000', POSTEE_STALLED_INTERVAL_MS: '1000' }).tuning).to.include({
      lockMs: 2_000,
      stalledCheckMs: 1_000,
    })
    expect(() => readEnvironment({ POSTEE_LOCK_DURATION_MS: '30s', POSTEE_DRAIN_GRACE_MS: '5' })).to.throw(
      /environment › POSTEE_LOCK_DURATION_MS: "30s" is not a whole number of milliseconds ≥ 100; write e.g. 30000\n\s+environment › POSTEE_DRAIN_GRACE_MS: "5" is not/,
    )
    expect(() => readEnvironment({ POSTEE_RELAY_REQUEUE_MS: 'soon' })).to.throw(
      /environment › POSTEE_RELAY_REQUEUE_MS: "soon" is not a number of milliseconds ≥ 0/,
    )
  })
})

describe('every environment setting of a service, in one round', () => {
  const BAD = {
    POSTEE_LOG_LEVEL: 'loud',
    REDIS_URL: 'http://redis',
    POSTEE_LOCK_DURATION_MS: '30s',
    POSTEE_RELAY_UNQUEUED_MS: 'later',
  }

  it('lists the runtime, tuning and relay problems together, in one format', () => {
    expect(problemKeys(() => readEnvironment(BAD))).to.have.members([
      'environment › POSTEE_LOG_LEVEL',
      'environment › REDIS_URL',
      'environment › POSTEE_LOCK_DURATION_MS',
      'environment › POSTEE_RELAY_UNQUEUED_MS',
    ])
  })

  it('reads all three when every variable is valid', () => {
    const settings = readEnvironment({ POSTEE_LOCK_DURATION_MS: '2000', POSTEE_RELAY_REQUEUE_MS: '60000', POSTEE_LOG_LEVEL: 'debug' })
    expect(settings.env.logLevel).to.equal('debug')
    expect(settings.tuning.lockMs).to.equal(2_000)
    expect(settings.relaySettings.requeueAfterMs).to.equal(60_000)
  })

  for (const [service, entry] of [
    ['ingest', INGEST_ENTRY],
    ['dispatcher', DISPATCHER_ENTRY],
  ] as const) {
    it(`${service} exits 1 at start listing every bad variable at once`, async () => {
      const child = startProcess(entry, BAD)
      const code = await new Promise<number | null>((resolve) => child.child.once('exit', resolve))
      const output = child.output()
      expect(code, output).to.equal(1)
      expect(output).to.match(/Invalid environment \(4 problems\):/)
      for (const name of Object.keys(BAD)) expect(output).to.match(new RegExp(`^ {2}environment › ${name}: `, 'm'))
    })
  }
})
