import { expect } from 'chai'
import type { Finding, Scan, Severity } from './model.js'
import { mostSevere, summarizeDiff, summarizeScan } from './summary.js'

const f = (vulnerability: string, severity: Severity): Finding => ({
  resource: 'pkg',
  resourceVersion: '1',
  vulnerability,
  severity,
  fixVersion: '',
})

function scanOf(findings: Finding[], malware = 0): Scan {
  return {
    source: 'aqua',
    registry: 'r',
    image: 'i:1',
    digest: 'd',
    previousDigest: '',
    findings,
    counts: { critical: 0, high: 0, medium: 0, low: 0, negligible: 0 },
    compliance: undefined,
    malware: { scanned: true, count: malware, items: Array.from({ length: malware }, (_, i) => ({ name: `m${i}` })) },
    sensitiveData: { scanned: false, count: 0, items: [] },
    owners: [],
    workloads: [],
  }
}

describe('scan/summary: a bounded scan, most severe first', () => {
  const list = [f('a', 'low'), f('b', 'critical'), f('c', 'medium'), f('d', 'critical'), f('e', 'negligible'), f('g', 'high')]
  const cases: [cap: number, kept: string[]][] = [
    [0, []],
    [1, ['b']],
    [2, ['b', 'd']],
    [3, ['b', 'd', 'g']],
    [5, ['b', 'd', 'g', 'c', 'a']],
    [6, ['b', 'd', 'g', 'c', 'a', 'e']],
    [100, ['b', 'd', 'g', 'c', 'a', 'e']],
  ]
  for (const [cap, kept] of cases) {
    it(`cap ${cap} keeps ${kept.join(',') || 'nothing'} (sorted by level, scan order within a level)`, () => {
      expect(mostSevere(list, cap).map((x) => x.vulnerability)).to.deep.equal(kept)
    })
  }

  it('counts what it leaves out, and a second summary adds to the count', () => {
    const once = summarizeScan(scanOf(list, 4), 2)
    expect(once.findings.map((x) => x.vulnerability)).to.deep.equal(['b', 'd'])
    expect(once.malware.items).to.have.length(2)
    expect(once.omitted).to.deep.equal({ findings: 4, malware: 2, sensitiveData: 0 })
    expect(summarizeScan(once, 1).omitted).to.deep.equal({ findings: 5, malware: 3, sensitiveData: 0 })
  })

  it("keeps a diff's counts whole and counts the findings it drops", () => {
    const diff = {
      added: list,
      fixed: [f('z', 'low')],
      addedBySeverity: { critical: 2, high: 1, medium: 1, low: 1, negligible: 1 },
      fixedBySeverity: { critical: 0, high: 0, medium: 0, low: 1, negligible: 0 },
    }
    const bounded = summarizeDiff(diff, 3)
    expect(bounded.added.map((x) => x.vulnerability)).to.deep.equal(['b', 'd', 'g'])
    expect(bounded).to.include({ omittedAdded: 3, omittedFixed: 0 })
    expect(bounded.addedBySeverity).to.deep.equal(diff.addedBySeverity)
  })
})
