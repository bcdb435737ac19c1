import { expect } from 'chai'
import { diffFindings, findingSet, packFindings, scanFingerprint, unpackFindings } from './diff.js'
import type { Finding, Scan } from './model.js'

function finding(resource: string, vulnerability: string, severity: Finding['severity'] = 'high', extra: Partial<Finding> = {}): Finding {
  return { resource, resourceVersion: '1.0', vulnerability, severity, fixVersion: '', ...extra }
}

function scan(findings: Finding[], overrides: Partial<Scan> = {}): Scan {
  return {
    source: 'aqua',
    registry: 'Docker Hub',
    image: 'alpine:3.8',
    digest: 'sha256:a',
    previousDigest: '',
    findings,
    counts: { critical: 0, high: 0, medium: 0, low: 0, negligible: 0 },
    compliance: { disallowed: false, checks: [] },
    malware: { scanned: true, count: 0, items: [] },
    sensitiveData: { scanned: true, count: 0, items: [] },
    owners: [],
    workloads: [],
    ...overrides,
  }
}

describe('diffFindings', () => {
  const cases: { name: string; base: Finding[]; current: Finding[]; added: string[]; fixed: string[] }[] = [
    { name: 'identical sets', base: [finding('a', 'CVE-1')], current: [finding('a', 'CVE-1')], added: [], fixed: [] },
    {
      name: 'first scan against nothing',
      base: [],
      current: [finding('a', 'CVE-1'), finding('b', 'CVE-2')],
      added: ['CVE-1', 'CVE-2'],
      fixed: [],
    },
    { name: 'everything fixed', base: [finding('a', 'CVE-1')], current: [], added: [], fixed: ['CVE-1'] },
    {
      name: 'one CVE swapped for another of the same severity',
      base: [finding('a', 'CVE-1')],
      current: [finding('a', 'CVE-2')],
      added: ['CVE-2'],
      fixed: ['CVE-1'],
    },
    {
      name: 'a version bump is a new finding and a fixed one',
      base: [finding('a', 'CVE-1')],
      current: [{ ...finding('a', 'CVE-1'), resourceVersion: '1.1' }],
      added: ['CVE-1'],
      fixed: ['CVE-1'],
    },
    { name: 'duplicates count once', base: [], current: [finding('a', 'CVE-1'), finding('a', 'CVE-1')], added: ['CVE-1'], fixed: [] },
    {
      name: 'added are ordered most severe first',
      base: [],
      current: [finding('a', 'CVE-LOW', 'low'), finding('b', 'CVE-CRIT', 'critical'), finding('c', 'CVE-MED', 'medium')],
      added: ['CVE-CRIT', 'CVE-MED', 'CVE-LOW'],
      fixed: [],
    },
  ]
  for (const c of cases) {
    it(c.name, () => {
      const diff = diffFindings(c.base, c.current)
      expect(diff.added.map((f) => f.vulnerability)).to.deep.equal(c.added)
      expect(diff.fixed.map((f) => f.vulnerability)).to.deep.equal(c.fixed)
    })
  }

  it('counts added and fixed per severity', () => {
    const diff = diffFindings([finding('a', 'CVE-1', 'critical'), finding('a', 'CVE-2', 'low')], [finding('a', 'CVE-3', 'critical')])
    expect(diff.addedBySeverity).to.deep.equal({ critical: 1, high: 0, medium: 0, low: 0, negligible: 0 })
    expect(diff.fixedBySeverity).to.deep.equal({ critical: 1, high: 0, medium: 0, low: 1, negligible: 0 })
  })
})

describe('scanFingerprint', () => {
  const base = scan([finding('a', 'CVE-1'), finding('b', 'CVE-2')])
  const cases: { name: string; other: Scan; same: boolean }[] = [
    { name: 'the same findings in another order', other: scan([finding('b', 'CVE-2'), finding('a', 'CVE-1')]), same: true },
    {
      name: 'a different fix version only (not part of a finding identity)',
      other: scan([finding('a', 'CVE-1', 'high', { fixVersion: '2' }), finding('b', 'CVE-2')]),
      same: true,
    },
    { name: 'one CVE swapped for another of the same severity', other: scan([finding('a', 'CVE-1'), finding('b', 'CVE-3')]), same: false },
    { name: 'disallowed changed', other: scan(base.findings as Finding[], { compliance: { disallowed: true, checks: [] } }), same: false },
    {
      name: 'malware count changed',
      other: scan(base.findings as Finding[], { malware: { scanned: true, count: 1, items: [] } }),
      same: false,
    },
    {
      name: 'sensitive count changed',
      other: scan(base.findings as Finding[], { sensitiveData: { scanned: true, count: 2, items: [] } }),
      same: false,
    },
  ]
  for (const c of cases) {
    it(`${c.same ? 'equal' : 'differs'} for ${c.name}`, () => {
      expect(scanFingerprint(c.other) === scanFingerprint(base)).to.equal(c.same)
    })
  }
})

describe('packFindings / unpackFindings', () => {
  it('round-trips findings with and without title and link, as a set', () => {
    const findings = [
      finding('b', 'CVE-2', 'low', { title: 'T', link: 'https://x' }),
      finding('a', 'CVE-1', 'critical', { fixVersion: '1.2' }),
    ]
    const unpacked = unpackFindings(JSON.parse(JSON.stringify(packFindings(findings))))
    expect(unpacked).to.deep.equal(findingSet(findings))
  })
})
