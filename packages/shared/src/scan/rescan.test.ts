import { expect } from 'chai'
import { scanFingerprint } from './diff.js'
import type { Finding, Scan } from './model.js'
import { decideRescan, type HistoryCandidates, type StoredScan } from './rescan.js'

const f = (vulnerability: string): Finding => ({
  resource: 'busybox',
  resourceVersion: '1',
  vulnerability,
  severity: 'medium',
  fixVersion: '',
})

function scan(findings: Finding[], digest = 'sha256:new', previousDigest = ''): Scan {
  return {
    source: 'aqua',
    registry: 'Docker Hub',
    image: 'alpine:3.8',
    digest,
    previousDigest,
    findings,
    counts: { critical: 0, high: 0, medium: findings.length, low: 0, negligible: 0 },
    compliance: { disallowed: false, checks: [] },
    malware: { scanned: false, count: 0, items: [] },
    sensitiveData: { scanned: false, count: 0, items: [] },
    owners: [],
    workloads: [],
  }
}

function stored(id: string, s: Scan): StoredScan {
  return { scanId: id, digest: s.digest, fingerprint: scanFingerprint(s), findings: () => s.findings }
}

const none: HistoryCandidates = { sameIdentity: undefined, previousDigest: undefined, latestOtherDigest: undefined }

describe('decideRescan', () => {
  const current = scan([f('CVE-1'), f('CVE-2')])
  const sameFindings = stored('same', scan([f('CVE-1'), f('CVE-2')]))
  const swapped = stored('same', scan([f('CVE-1'), f('CVE-3')]))
  const previous = stored('prev', scan([f('CVE-1')], 'sha256:prev'))
  const latestOther = stored('other', scan([f('CVE-9')], 'sha256:other'))

  const cases: {
    name: string
    scan: Scan
    candidates: HistoryCandidates
    outcome: string
    base?: string
    added?: number
    fixed?: number
  }[] = [
    { name: 'nothing stored: new, no base', scan: current, candidates: none, outcome: 'new' },
    {
      name: 'same identity, same findings: unchanged',
      scan: current,
      candidates: { ...none, sameIdentity: sameFindings, latestOtherDigest: latestOther },
      outcome: 'unchanged',
      base: 'same',
    },
    {
      name: 'same identity, a CVE swapped: changed against itself',
      scan: current,
      candidates: { ...none, sameIdentity: swapped },
      outcome: 'changed',
      base: 'same',
      added: 1,
      fixed: 1,
    },
    {
      name: 'only another digest stored: changed against the latest other',
      scan: current,
      candidates: { ...none, latestOtherDigest: latestOther },
      outcome: 'changed',
      base: 'other',
      added: 2,
      fixed: 1,
    },
    {
      name: 'previous digest named and stored: it is the base, before the same identity',
      scan: scan([f('CVE-1'), f('CVE-2')], 'sha256:new', 'sha256:prev'),
      candidates: { sameIdentity: swapped, previousDigest: previous, latestOtherDigest: latestOther },
      outcome: 'changed',
      base: 'prev',
      added: 1,
      fixed: 0,
    },
    {
      name: 'previous digest equal to the digest: ignored, same identity is the base',
      scan: scan([f('CVE-1'), f('CVE-2')], 'sha256:new', 'sha256:new'),
      candidates: { ...none, sameIdentity: swapped, previousDigest: previous },
      outcome: 'changed',
      base: 'same',
    },
    {
      name: 'previous digest named but not stored: latest other digest',
      scan: scan([f('CVE-1')], 'sha256:new', 'sha256:unknown'),
      candidates: { ...none, latestOtherDigest: latestOther },
      outcome: 'changed',
      base: 'other',
    },
  ]
  for (const c of cases) {
    it(c.name, () => {
      const decision = decideRescan(c.scan, scanFingerprint(c.scan), c.candidates)
      expect(decision.outcome).to.equal(c.outcome)
      expect(decision.base?.scanId).to.equal(c.base)
      if (c.added !== undefined) expect(decision.diff?.added.length).to.equal(c.added)
      if (c.fixed !== undefined) expect(decision.diff?.fixed.length).to.equal(c.fixed)
      if (c.outcome !== 'changed') expect(decision.diff).to.equal(undefined)
    })
  }
})
