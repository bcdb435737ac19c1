import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { FIXTURES, renderCases } from './cases.testkit.js'

describe('render/cases: the fixtures behind the golden files', () => {
  it('resolves the fixture folder from this file', () => {
    expect(fileURLToPath(FIXTURES)).to.match(/\/test\/fixtures\/aqua\/$/)
    expect(existsSync(new URL('README.md', FIXTURES))).to.equal(true)
  })

  it('builds every case with the expected number of findings', () => {
    const findings = Object.fromEntries(
      renderCases().map((c) => [c.name, c.reports.map((r) => r.vulnerabilities.length + (r.omitted?.vulnerabilities ?? 0))]),
    )
    expect(findings['aqua-input']).to.deep.equal([5])
    expect(findings['alpine']).to.deep.equal([2])
    expect(findings['bkmorrow']).to.deep.equal([63])
    expect(findings['ashex']).to.deep.equal([283])
    expect(findings['generated-5000']).to.deep.equal([5000])
    // A report holds at most SUMMARY_ROWS rows per list, the rest counted.
    expect(renderCases().find((c) => c.name === 'generated-5000')!.reports[0]!.vulnerabilities).to.have.length(2000)
    expect(findings['batch']).to.deep.equal([2, 0, 63])
    expect(findings['trivy-input']).to.deep.equal([7])
    expect(findings['trivy-operator-input']).to.deep.equal([5])
  })
})
