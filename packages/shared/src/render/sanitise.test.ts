import { expect } from 'chai'
import fc from 'fast-check'
import type { Finding, Scan } from '../scan/model.js'
import { generatedScan } from './cases.testkit.js'
import { renderAll } from './limit-checks.testkit.js'
import { buildReport, clean } from './report.js'

// Bidirectional controls and line separators in scan text: U+202E makes "gpj.exe" read as
// "exe.jpg" in a subject, a ticket summary or a chat header; U+2028 breaks a line where no
// target expects one. Both come from whoever built the image.
const BIDI = ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069']
const SEPARATORS = ['\u2028', '\u2029']
const FORBIDDEN = /[\u202a-\u202e\u2066-\u2069\u2028\u2029]/

describe('render: the sanitising step (clean)', () => {
  const table: [string, string, string][] = [
    ['right-to-left override removed', 'invoice\u202Egpj.exe', 'invoicegpj.exe'],
    ['every embedding, override and isolate removed', `a${BIDI.join('')}b`, 'ab'],
    ['line and paragraph separators become spaces', 'one\u2028two\u2029three', 'one two three'],
    ['CR/LF and tab become spaces', 'a\r\nb\tc', 'a  b c'],
    ['a lone surrogate becomes U+FFFD', 'x\ud800y', 'x\ufffdy'],
    ['right-to-left text itself is kept', 'שלום مرحبا', 'שלום مرحبا'],
    ['plain text unchanged', 'alpine:3.19 CVE-2024-1234', 'alpine:3.19 CVE-2024-1234'],
  ]
  for (const [name, input, expected] of table) {
    it(name, () => expect(clean(input)).to.equal(expected))
  }

  it('no renderer lets a bidi control or line separator through, from any field (property)', () => {
    const hostile = fc
      .array(fc.oneof(fc.constantFrom(...BIDI, ...SEPARATORS), fc.string({ maxLength: 6 })), { minLength: 1, maxLength: 8 })
      .map((parts) => parts.join(''))
    const finding: fc.Arbitrary<Finding> = fc.record({
      resource: hostile,
      resourceVersion: hostile,
      vulnerability: hostile,
      severity: fc.constant('high' as const),
      fixVersion: hostile,
      title: hostile,
    })
    fc.assert(
      fc.property(
        hostile,
        hostile,
        hostile,
        fc.array(finding, { minLength: 1, maxLength: 3 }),
        hostile,
        (image, registry, digest, findings, workload) => {
          const base = generatedScan(0)
          const scan: Scan = {
            ...base,
            image,
            registry,
            digest,
            findings,
            workloads: [{ namespace: workload, kind: workload, name: workload, container: workload }],
            malware: { scanned: true, count: 1, items: [{ malware: workload, path: workload, hash: workload }] },
          }
          const out = renderAll([buildReport({ scan, diff: undefined }, { aquaServer: 'https://aqua.example.com' })])
          expect(JSON.stringify(out)).to.not.match(FORBIDDEN)
          // JSON.stringify leaves these characters as they are, so the check above sees them.
          expect(JSON.stringify('\u202e\u2028')).to.match(FORBIDDEN)
        },
      ),
      { numRuns: 60 },
    )
  })
})
