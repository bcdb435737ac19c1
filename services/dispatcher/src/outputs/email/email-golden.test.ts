import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { expect } from 'chai'
import type { AddressObject } from 'mailparser'
import { buildReport, renderHtml, renderText, type DeliveryBatch } from '@postee/shared'
import { batchOf, fixtureItem, generatedItem, SCAN_FIXTURES } from '@postee/testkit'
import { createEmailOutput } from './email-output.js'
import { deliveryContext, emailIntegration, SmtpFake, type ReceivedMail } from './smtp-fake.testkit.js'

/**
 * Golden messages: every fixture (with and without a diff), a 5,000-finding scan and an
 * aggregated batch, sent to the fake SMTP server and stored as what a reader gets: the key
 * headers and the MIME structure (`<case>.headers.json`), the text part (`.txt`) and the HTML part
 * (`.html`). The raw MIME is not stored: its boundaries and Date change on every send. Rewrite
 * with `UPDATE_GOLDEN=1` and review the diff like code.
 */
const GOLDEN = new URL('./golden/', import.meta.url)
const UPDATE = process.env['UPDATE_GOLDEN'] === '1'

function caseName(fixture: string): string {
  return fixture.replace(/\.json$/, '').replace(/\//g, '-')
}

function cases(): { name: string; batch: DeliveryBatch }[] {
  const list = SCAN_FIXTURES.flatMap((fixture, i) => [
    { name: caseName(fixture), batch: batchOf([fixtureItem(fixture, { n: i + 1 })]) },
    { name: `${caseName(fixture)}.diff`, batch: batchOf([fixtureItem(fixture, { n: i + 1, withDiff: true })]) },
  ])
  list.push({ name: 'generated-5000', batch: batchOf([generatedItem(5000)]) })
  list.push({ name: 'generated-5000.diff', batch: batchOf([generatedItem(5000, { withDiff: true })]) })
  const aggregated = ['aqua-input.json', 'trivy-input.json', 'trivy-operator-input.json', 'all-in-one-image.json']
  list.push({ name: 'aggregated', batch: batchOf(aggregated.map((fixture, i) => fixtureItem(fixture, { n: 100 + i, withDiff: i % 2 === 0 }))) })
  return list
}

function addresses(header: AddressObject | AddressObject[] | undefined): string[] {
  return [header ?? []].flat().flatMap((object) => object.value.map((entry) => entry.address ?? ''))
}

// The MIME tree as its Content-Type lines and transfer encodings, boundaries left out.
function headersOf(mail: ReceivedMail): Record<string, unknown> {
  return {
    from: addresses(mail.parsed.from),
    to: addresses(mail.parsed.to),
    subject: mail.parsed.subject,
    messageId: mail.parsed.messageId,
    autoSubmitted: mail.parsed.headers.get('auto-submitted'),
    contentTypes: [...mail.raw.matchAll(/^Content-Type: ([^;\r\n]+)(?:; charset=([^\r\n;]+))?/gim)].map((m) => (m[2] ? `${m[1]}; charset=${m[2]}` : m[1])),
    transferEncodings: [...mail.raw.matchAll(/^Content-Transfer-Encoding: (\S+)/gim)].map((m) => m[1]),
  }
}

function compare(file: URL, actual: string): void {
  if (UPDATE) writeFileSync(file, actual)
  expect(existsSync(file), `missing golden file ${file.pathname}; run with UPDATE_GOLDEN=1`).to.equal(true)
  // Plain equality: chai's diff of a 100 KB string helps nobody, the git diff does.
  expect(readFileSync(file, 'utf8') === actual, `${file.pathname} differs; rerun with UPDATE_GOLDEN=1 and review the diff`).to.equal(true)
}

describe('email output: golden messages', () => {
  let fake: SmtpFake
  before(async () => {
    fake = await new SmtpFake().start()
    if (UPDATE) mkdirSync(GOLDEN, { recursive: true })
  })
  after(async () => fake.stop())

  for (const { name, batch } of cases()) {
    it(name, async () => {
      const keys = `host: 127.0.0.1\n  port: ${fake.port}\n  sender: postee@example.com\n  recipients: ["ops@example.com", "<%application_scope_owner%>"]`
      const before = fake.received.length
      await createEmailOutput(emailIntegration(keys)).send(deliveryContext(), batch)
      const mail = fake.received[before]!
      const reports = batch.items.map((item) => buildReport(item, { aquaServer: 'https://aqua.example.com', aggregated: batch.aggregated }))
      expect(mail.parsed.text).to.equal(renderText(reports))
      expect(mail.parsed.html).to.equal(renderHtml(reports).html)
      compare(new URL(`${name}.headers.json`, GOLDEN), JSON.stringify(headersOf(mail), null, 2) + '\n')
      compare(new URL(`${name}.txt`, GOLDEN), mail.parsed.text!)
      compare(new URL(`${name}.html`, GOLDEN), mail.parsed.html as string)
    })
  }
})
