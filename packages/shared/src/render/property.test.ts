import { expect } from 'chai'
import fc from 'fast-check'
import { SEVERITIES } from '../scan/model.js'
import type { Finding, Scan } from '../scan/model.js'
import { generatedScan } from './cases.testkit.js'
import { slackTexts, strayHtmlBrackets } from './escaping.testkit.js'
import { renderAll, violationsOf } from './limit-checks.testkit.js'
import { buildReport } from './report.js'

// Any string, weighted towards the characters that mean something to some target, lone surrogates
// and line breaks included.
const SPECIAL = [
  '<',
  '>',
  '&',
  '|',
  '*',
  '_',
  '`',
  '~',
  '{',
  '}',
  '[',
  ']',
  '(',
  ')',
  '\\',
  '!',
  '#',
  '-',
  ':',
  'P',
  '\r',
  '\n',
  '\ud800',
  '😀',
  'a',
  ' ',
]
const anyText = fc.oneof(
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 4 },
  { arbitrary: fc.string({ unit: fc.constantFrom(...SPECIAL), maxLength: 60 }), weight: 4 },
  { arbitrary: fc.constantFrom('<!channel>', '<script>x</script>', '<http://x|y>', '*bold*', '{code}', ''), weight: 2 },
  // Longer than any cap, so rule 5 (cut before escaping) runs on every kind of character.
  { arbitrary: fc.string({ unit: fc.constantFrom(...SPECIAL), minLength: 600, maxLength: 1200 }), weight: 1 },
)

const finding: fc.Arbitrary<Finding> = fc.record({
  resource: anyText,
  resourceVersion: anyText,
  vulnerability: anyText,
  severity: fc.constantFrom(...SEVERITIES),
  fixVersion: anyText,
  title: anyText,
  link: fc.oneof(
    anyText,
    anyText.map((text) => `https://example.com/${encodeURIComponent(text.replace(/[\ud800-\udfff]/g, ''))}`),
  ),
})

// A few distinct findings, repeated so that some reports overflow every target.
const scan: fc.Arbitrary<Scan> = fc
  .record({ image: anyText, registry: anyText, findings: fc.array(finding, { maxLength: 5 }), repeat: fc.integer({ min: 1, max: 60 }) })
  .map(({ image, registry, findings, repeat }) => ({
    ...generatedScan(0),
    image,
    registry,
    findings: Array.from({ length: repeat }, () => findings).flat(),
  }))

describe('render properties: any text in image, resource and vulnerability fields', () => {
  it('keeps JSON valid, leaves no stray < in Slack or HTML, and holds every limit', function () {
    // About four seconds for 100 runs; the margin is for slow CI machines.
    this.timeout(30_000)
    fc.assert(
      fc.property(scan, fc.boolean(), (generated, linked) => {
        const report = buildReport({ scan: generated, diff: undefined }, linked ? { aquaServer: 'https://aqua.example.com' } : {})
        const out = renderAll([report])
        for (const body of [out.slack, out.teamsAdaptive, out.teamsLegacy, out.jiraAdf, ...out.splunk.map(([, b]) => b)]) {
          expect(JSON.parse(JSON.stringify(body))).to.deep.equal(body)
        }
        for (const text of slackTexts(out.slack)) expect(text).not.to.match(/[<>]/)
        expect(strayHtmlBrackets(out.html.html)).to.deep.equal([])
        expect(violationsOf(out)).to.deep.equal([])
      }),
      { numRuns: 100 },
    )
  })
})
