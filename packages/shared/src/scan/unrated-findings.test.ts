import { expect } from 'chai'
import type { PolicySettings } from '../config/types.js'
import { evaluatePolicies } from '../policy/evaluate.js'
import { parseAquaScan } from './aqua.js'
import { ratedSeverity, type Severity } from './model.js'

// A summary-less scan like Postee's own test scans (settings_test mockScanWithFix): findings whose
// severity is missing, empty or a word no level names. Postee left such findings out of its counts.
function scanWith(severities: readonly (string | null | undefined)[], summary?: Record<string, number>) {
  return parseAquaScan({
    image: 'test:1',
    registry: 'Postee test',
    ...(summary ? { vulnerability_summary: summary } : {}),
    resources: [
      {
        resource: { name: 'lib', version: '1.0' },
        vulnerabilities: severities.map((severity, i) => ({
          name: `CVE-${i}`,
          fix_version: '1.1',
          ...(severity === undefined ? {} : { aqua_severity: severity }),
        })),
      },
    ],
  })
}

function policy(min: Severity): PolicySettings {
  return {
    minVulnerability: min,
    registries: [],
    imageNames: [],
    ignoreRegistries: [],
    ignoreImageNames: [],
    onlyFixAvailable: false,
    nonCompliant: false,
    showAll: false,
  }
}

describe('scan/aqua: findings without a severity are left out of the counts, as in Postee', () => {
  const cases: {
    name: string
    severities: (string | null | undefined)[]
    summary?: Record<string, number>
    counts: Record<Severity, number>
    negligible: boolean
    low: boolean
  }[] = [
    {
      name: 'no severity key',
      severities: [undefined, undefined],
      counts: { critical: 0, high: 0, medium: 0, low: 0, negligible: 0 },
      negligible: false,
      low: false,
    },
    {
      name: 'a null severity (Go writes absent values as null)',
      severities: [null],
      counts: { critical: 0, high: 0, medium: 0, low: 0, negligible: 0 },
      negligible: false,
      low: false,
    },
    {
      name: 'an empty severity',
      severities: [''],
      counts: { critical: 0, high: 0, medium: 0, low: 0, negligible: 0 },
      negligible: false,
      low: false,
    },
    {
      name: 'a word no level names',
      severities: ['None', 'unknown'],
      counts: { critical: 0, high: 0, medium: 0, low: 0, negligible: 0 },
      negligible: false,
      low: false,
    },
    {
      name: 'an explicit negligible',
      severities: ['negligible', undefined],
      counts: { critical: 0, high: 0, medium: 0, low: 0, negligible: 1 },
      negligible: true,
      low: false,
    },
    {
      name: 'rated and unrated mixed',
      severities: ['LOW', undefined, 'High'],
      counts: { critical: 0, high: 1, medium: 0, low: 1, negligible: 0 },
      negligible: true,
      low: true,
    },
    {
      name: 'a summary wins over the findings',
      severities: [undefined],
      summary: { negligible: 2 },
      counts: { critical: 0, high: 0, medium: 0, low: 0, negligible: 2 },
      negligible: true,
      low: false,
    },
  ]
  for (const c of cases) {
    it(c.name, () => {
      const scan = scanWith(c.severities, c.summary)
      expect(scan.counts).to.deep.equal(c.counts)
      // The findings themselves are kept (and shown) whatever their severity.
      expect(scan.findings).to.have.length(c.severities.length)
      expect(evaluatePolicies(scan, 'new', policy('negligible')).send, 'Policy-Min-Vulnerability: negligible').to.equal(c.negligible)
      expect(evaluatePolicies(scan, 'new', policy('low')).send, 'Policy-Min-Vulnerability: low').to.equal(c.low)
    })
  }

  it('names a level only for the five level words, in any case', () => {
    expect(['Critical', ' high ', 'MEDIUM', 'low', 'negligible'].map(ratedSeverity)).to.deep.equal([
      'critical',
      'high',
      'medium',
      'low',
      'negligible',
    ])
    expect(['', 'none', 'unknown', null, undefined].map(ratedSeverity)).to.deep.equal([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ])
  })
})
