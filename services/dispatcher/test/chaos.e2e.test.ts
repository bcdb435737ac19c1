import { expect } from 'chai'
import { SHORT_PROFILE, formatReport, runChaos, type ChaosReport } from '../../../chaos/harness.js'

describe('chaos: 2 ingests and 3 dispatchers under load while processes, Redis and Postgres fail (short profile)', function () {
  // Start-up, 36 s of load, the wait for every delivery and the shutdown: well under 2 min.
  this.timeout(150_000)
  let report: ChaosReport

  before(async () => {
    report = await runChaos(SHORT_PROFILE, (line) => console.log(`      ${line}`))
    console.log(formatReport(report).replace(/^/gm, '      '))
  })

  it('delivers every acknowledged scan to every output: lost = 0', () => {
    expect(report.acknowledged, 'no scan was acknowledged: the load did not run').to.be.greaterThan(0)
    expect(report.lost, `lost deliveries:\n${report.lostSamples.join('\n')}`).to.equal(0)
    expect(
      report.duplicates.map((d) => d.sameScanOtherId),
      'a scan delivered under two delivery ids',
    ).to.deep.equal(report.duplicates.map(() => 0))
  })

  it('no process dies on its own: unexpected exits = 0', () => {
    const deaths = report.unexpectedExits.map(
      (exit) => `${exit.slot}: ${exit.signal ?? `exit ${exit.code}`} at ${(exit.at / 1000).toFixed(1)} s`,
    )
    expect(deaths).to.deep.equal([])
  })
})
