import { expect } from 'chai'
import { relaySettingsFromEnv, tuningFromEnv } from '../src/index.js'

describe('process tuning from the environment', () => {
  it('uses the documented defaults', () => {
    expect(tuningFromEnv({})).to.deep.equal({ lockMs: 30_000, stalledCheckMs: 15_000, drainGraceMs: 20_000, relayIntervalMs: 5_000 })
    expect(relaySettingsFromEnv({})).to.deep.equal({ unqueuedAfterMs: 5_000, requeueAfterMs: 120_000, batchSize: 500 })
  })

  it('reads every variable, and lists every bad one at once', () => {
    expect(tuningFromEnv({ POSTEE_LOCK_DURATION_MS: '2000', POSTEE_STALLED_INTERVAL_MS: '1000' })).to.include({ lockMs: 2_000, stalledCheckMs: 1_000 })
    expect(() => tuningFromEnv({ POSTEE_LOCK_DURATION_MS: '30s', POSTEE_DRAIN_GRACE_MS: '5' })).to.throw(
      /POSTEE_LOCK_DURATION_MS must be a whole number of milliseconds ≥ 100, not "30s"\n\s+POSTEE_DRAIN_GRACE_MS must be/,
    )
    expect(() => relaySettingsFromEnv({ POSTEE_RELAY_REQUEUE_MS: 'soon' })).to.throw(/POSTEE_RELAY_REQUEUE_MS must be a number of milliseconds/)
  })
})
