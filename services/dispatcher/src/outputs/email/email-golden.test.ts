import { expect } from 'chai'
import type { AddressObject } from 'mailparser'
import { renderHtml, renderText, type DeliveryBatch } from '@postee/shared'
import { batchOf, expectGolden, fixtureItem, generatedItem, reportsOf, SCAN_FIXTURES } from '@postee/testkit'
import { createEmailOutput } from './email-output.js'
import { deliveryContext, emailIntegration, SmtpFake, type ReceivedMail } from './smtp-fake.testkit.js'

/**
 * Golden messages: every fixture (with and without a diff), a 5,000-finding scan and an
 * aggregated batch, sent to the fake SMTP server. The text and HTML parts must be exactly the
 * renderers' output (pinned by packages/shared/src/render/golden/text/ and html/), so they are
 * compared with it rather than stored again. What only the email output decides is stored in
 * `golden/<case>.headers.json`: the key headers and the MIME structure (the raw MIME is not
 * stored: its boundaries and Date change on every send). A diff does not change the headers, so a
 * `.diff` case is held to the file of its plain case. After an intended change run with
 * `UPDATE_GOLDEN=1` (the test fails, naming the rewritten file; refused under CI) and review the
 * git diff like code.
 */
const GOLDEN = new URL('./golden/', import.meta.url)

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
  list.push({
    name: 'aggregated',
    batch: batchOf(aggregated.map((fixture, i) => fixtureItem(fixture, { n: 100 + i, withDiff: i % 2 === 0 }))),
  })
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
    contentTypes: [...mail.raw.matchAll(/^Content-Type: ([^;\r\n]+)(?:; charset=([^\r\n;]+))?/gim)].map((m) =>
      m[2] ? `${m[1]}; charset=${m[2]}` : m[1],
    ),
    transferEncodings: [...mail.raw.matchAll(/^Content-Transfer-Encoding: (\S+)/gim)].map((m) => m[1]),
  }
}

describe('email output: golden messages', () => {
  let fake: SmtpFake
  before(async () => {
    fake = await new SmtpFake().start()
  })
  after(async () => fake.stop())

  for (const { name, batch } of cases()) {
    it(name, async () => {
      const keys = `host: 127.0.0.1\n  port: ${fake.port}\n  sender: postee@example.com\n  recipients: ["ops@example.com", "<%application_scope_owner%>"]`
      const before = fake.received.length
      await createEmailOutput(emailIntegration(keys)).send(deliveryContext(), batch)
      const mail = fake.received[before]!
      const reports = reportsOf(batch)
      // Plain equality: chai's diff of a 100 KB string helps nobody.
      expect(mail.parsed.text === renderText(reports), 'the text part is not renderText of the batch').to.equal(true)
      expect(mail.parsed.html === renderHtml(reports).html, 'the HTML part is not renderHtml of the batch').to.equal(true)
      expectGolden(new URL(`${name.replace(/\.diff$/, '')}.headers.json`, GOLDEN), JSON.stringify(headersOf(mail), null, 2) + '\n')
    })
  }
})
