import { expect } from 'chai'
import type { AddressObject } from 'mailparser'
import { buildReport, DeliveryError, renderHtml, renderText, type DeliveryBatch, type DeliveryItem, type Output } from '@postee/shared'
import { batchOf, fixtureItem } from '@postee/testkit'
import { createEmailOutput } from './email-output.js'
import { deliveryContext, emailIntegration, selfSignedPair, SmtpFake } from './smtp-fake.testkit.js'

const RELAY = (port: number): string => `host: 127.0.0.1\n  port: ${port}`

function addresses(header: AddressObject | AddressObject[] | undefined): string[] {
  return [header ?? []].flat().flatMap((object) => object.value.map((entry) => entry.address ?? ''))
}

function withScan(item: DeliveryItem, changes: Partial<DeliveryItem['scan']>): DeliveryItem {
  return { ...item, scan: { ...item.scan, ...changes } }
}

async function failure(output: Output, batch: DeliveryBatch): Promise<DeliveryError> {
  const error = await output.send(deliveryContext(), batch).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).to.be.instanceOf(DeliveryError)
  return error as DeliveryError
}

describe('email output', () => {
  let fake: SmtpFake
  afterEach(async () => fake.stop())

  it('sends one MIME message: headers, an encoded subject, and the text and HTML parts', async () => {
    fake = await new SmtpFake().start()
    const output = createEmailOutput(
      emailIntegration(`${RELAY(fake.port)}\n  sender: postee@example.com\n  recipients: ["ops@example.com", "sec@example.org"]`),
    )
    const item = withScan(fixtureItem('aqua-input.json'), { image: 'équipe/app:1.0 — prod' })
    const batch = batchOf([item])
    const started = Date.now()
    const result = await output.send(deliveryContext(), batch)

    expect(fake.received).to.have.length(1)
    const mail = fake.received[0]!
    const reports = [buildReport(item, { aquaServer: 'https://aqua.example.com', aggregated: false })]
    expect(result.externalId).to.equal(`<postee-${batch.key}@example.com>`)
    expect(mail.parsed.messageId).to.equal(result.externalId)
    expect(mail.mailFrom).to.equal('postee@example.com')
    expect(mail.rcptTo).to.deep.equal(['ops@example.com', 'sec@example.org'])
    expect(addresses(mail.parsed.from)).to.deep.equal(['postee@example.com'])
    expect(addresses(mail.parsed.to)).to.deep.equal(['ops@example.com', 'sec@example.org'])
    expect(mail.parsed.date!.getTime()).to.be.within(started - 2_000, Date.now() + 1_000)
    expect(mail.parsed.subject).to.equal(renderHtml(reports).subject).and.to.include('équipe/app:1.0 — prod')
    expect(mail.raw).to.match(/^Subject: =\?UTF-8\?[QB]\?/m)
    expect(mail.raw).to.match(/^MIME-Version: 1\.0\r$/m)
    expect(mail.raw).to.match(/^Content-Type: multipart\/alternative;/m)
    expect(mail.parsed.headers.get('auto-submitted')).to.equal('auto-generated')
    expect(mail.parsed.text).to.equal(renderText(reports))
    expect(mail.parsed.html).to.equal(renderHtml(reports).html)
    expect(mail.raw.indexOf('Content-Type: text/plain')).to.be.lessThan(mail.raw.indexOf('Content-Type: text/html'))
  })

  it('keeps the Message-ID of a batch across retries, and falls back to user for From', async () => {
    fake = await new SmtpFake().start()
    const output = createEmailOutput(
      emailIntegration(`${RELAY(fake.port)}\n  user: alerts@corp.example\n  recipients: ["ops@example.com"]`),
    )
    const batch = batchOf([fixtureItem('trivy-input.json')])
    const first = await output.send(deliveryContext(), batch)
    const second = await output.send(deliveryContext(), batch)
    const other = await output.send(deliveryContext(), batchOf([fixtureItem('trivy-input.json', { n: 2 })]))
    expect(second.externalId).to.equal(first.externalId).and.to.equal(`<postee-${batch.key}@corp.example>`)
    expect(other.externalId).to.not.equal(first.externalId)
    expect(fake.received.map((mail) => mail.parsed.messageId)).to.deep.equal([first.externalId, first.externalId, other.externalId])
    expect(fake.received.map((mail) => mail.mailFrom)).to.deep.equal(Array(3).fill('alerts@corp.example'))
  })

  it('reports owners it left out (not addresses) as warnings, and sends to the rest', async () => {
    fake = await new SmtpFake().start()
    const output = createEmailOutput(
      emailIntegration(
        `${RELAY(fake.port)}\n  sender: postee@example.com\n  recipients: ["ops@example.com", "<%application_scope_owner%>"]`,
      ),
    )
    // aqua-input.json names the owner "owner", which is no address.
    const result = await output.send(deliveryContext(), batchOf([fixtureItem('aqua-input.json')]))
    expect(result.warnings).to.have.length(1)
    expect(result.warnings![0]).to.match(/^recipients left out: "owner" /)
    expect(fake.received.map((mail) => mail.rcptTo)).to.deep.equal([['ops@example.com']])
    const clean = await output.send(
      deliveryContext(),
      batchOf([withScan(fixtureItem('aqua-input.json', { n: 2 }), { owners: ['dev@example.com'] })]),
    )
    expect(clean.warnings).to.equal(undefined)
  })

  it('logs in only when both user and password are set', async () => {
    fake = await new SmtpFake({ login: { user: 'alerts@corp.example', pass: 'pw-123' } }).start()
    // A lab relay without STARTTLS: cleartext AUTH only because require_tls is turned off.
    const keys = `${RELAY(fake.port)}\n  recipients: ["ops@example.com"]\n  user: alerts@corp.example\n  require_tls: false`
    await createEmailOutput(emailIntegration(keys)).send(deliveryContext(), batchOf([fixtureItem('aqua-input.json')]))
    expect(fake.logins).to.deep.equal([])
    expect(fake.received[0]!.user).to.equal(undefined)

    await createEmailOutput(emailIntegration(`${keys}\n  password: pw-123`)).send(
      deliveryContext(),
      batchOf([fixtureItem('aqua-input.json')]),
    )
    expect(fake.logins).to.deep.equal([{ user: 'alerts@corp.example', password: 'pw-123' }])
    expect(fake.received[1]!.user).to.equal('alerts@corp.example')
  })

  it('a wrong password is a permanent auth failure that does not show the password', async () => {
    fake = await new SmtpFake({ login: { user: 'alerts@corp.example', pass: 'right' } }).start()
    const keys = `${RELAY(fake.port)}\n  recipients: ["ops@example.com"]\n  user: alerts@corp.example\n  password: wr0ng-pa55\n  require_tls: false`
    const error = await failure(createEmailOutput(emailIntegration(keys)), batchOf([fixtureItem('aqua-input.json')]))
    expect(error).to.include({ reason: 'auth', retryable: false })
    expect(error.message).to.include('535').and.to.include('check user and password').and.not.include('wr0ng-pa55')
  })

  describe('STARTTLS', () => {
    let pair: { key: string; cert: string }
    before(async () => {
      pair = await selfSignedPair()
    })

    it('upgrades when the server offers it, before logging in; tls_verify: false accepts a self-signed certificate', async () => {
      fake = await new SmtpFake({ tls: pair, login: { user: 'alerts@corp.example', pass: 'pw' } }).start()
      const keys = `${RELAY(fake.port)}\n  recipients: ["ops@example.com"]\n  user: alerts@corp.example\n  password: pw\n  tls_verify: false`
      await createEmailOutput(emailIntegration(keys)).send(deliveryContext(), batchOf([fixtureItem('aqua-input.json')]))
      expect(fake.received[0]).to.include({ secure: true, user: 'alerts@corp.example' })
    })

    it('with tls_verify on, an untrusted certificate fails with a hint, never a plain-text fallback', async () => {
      fake = await new SmtpFake({ tls: pair }).start()
      const output = createEmailOutput(
        emailIntegration(`${RELAY(fake.port)}\n  sender: postee@example.com\n  recipients: ["ops@example.com"]`),
      )
      const error = await failure(output, batchOf([fixtureItem('aqua-input.json')]))
      expect(error).to.include({ reason: 'network', retryable: true })
      expect(error.message).to.include('tls_verify: false')
      expect(fake.received).to.have.length(0)
    })

    it('sends in plain text to a server that does not offer STARTTLS', async () => {
      fake = await new SmtpFake().start()
      await createEmailOutput(
        emailIntegration(`${RELAY(fake.port)}\n  sender: postee@example.com\n  recipients: ["ops@example.com"]`),
      ).send(deliveryContext(), batchOf([fixtureItem('aqua-input.json')]))
      expect(fake.received[0]!.secure).to.equal(false)
    })
  })

  describe('recipients', () => {
    const OWNER = '"<%application_scope_owner%>"'

    it('expands the owner placeholder to the union of the batch owners, in order, once each', async () => {
      fake = await new SmtpFake().start()
      const output = createEmailOutput(
        emailIntegration(`${RELAY(fake.port)}\n  sender: postee@example.com\n  recipients: ["ops@example.com", ${OWNER}]`),
      )
      const batch = batchOf([
        withScan(fixtureItem('aqua-input.json', { n: 1 }), { owners: ['Alice@Example.com', 'bob@example.org'] }),
        withScan(fixtureItem('trivy-input.json', { n: 2 }), { owners: ['alice@example.com', 'carol@example.net', 'OPS@example.com'] }),
        withScan(fixtureItem('all-in-one-image.json', { n: 3 }), { owners: [] }),
      ])
      await output.send(deliveryContext(), batch)
      // nodemailer writes domains in lower case (they are case-insensitive); local parts keep theirs.
      const expected = ['ops@example.com', 'Alice@example.com', 'bob@example.org', 'carol@example.net']
      expect(fake.received[0]!.rcptTo).to.deep.equal(expected)
      expect(addresses(fake.received[0]!.parsed.to)).to.deep.equal(expected)
      expect(fake.received[0]!.parsed.subject).to.equal('Vulnerability scan report')
    })

    it('no recipient left is a permanent error that says why', async () => {
      fake = await new SmtpFake().start()
      const output = createEmailOutput(emailIntegration(`${RELAY(fake.port)}\n  sender: postee@example.com\n  recipients: [${OWNER}]`))
      const none = await failure(output, batchOf([withScan(fixtureItem('aqua-input.json'), { owners: [] })]))
      expect(none).to.include({ reason: 'config', retryable: false })
      expect(none.message).to.include('no recipient left').and.include('no application scope owners')
      const invalid = await failure(output, batchOf([withScan(fixtureItem('aqua-input.json'), { owners: ['team-a', 'x@'] })]))
      expect(invalid.message).to.include('"team-a" has no @domain').and.include('"x@" has no domain after the @')
      expect(fake.received).to.have.length(0)
    })

    it('CR/LF in an image name or an owner never makes a header or a recipient', async () => {
      fake = await new SmtpFake().start()
      const output = createEmailOutput(emailIntegration(`${RELAY(fake.port)}\n  sender: postee@example.com\n  recipients: [${OWNER}]`))
      const item = withScan(fixtureItem('aqua-input.json'), {
        image: 'app:1\r\nBcc: victim@evil.test\r\nX-Injected: yes\r\n\r\nbody',
        owners: [
          'ok@example.com',
          'evil@example.com\r\nBcc: victim@evil.test',
          'x@example.com>\r\nRCPT TO:<victim@evil.test>',
          'y@example.com\nX-Injected: yes',
        ],
      })
      await output.send(deliveryContext(), batchOf([item]))
      const mail = fake.received[0]!
      expect(mail.rcptTo).to.deep.equal(['ok@example.com'])
      expect(mail.parsed.headers.has('bcc')).to.equal(false)
      expect(mail.parsed.headers.has('x-injected')).to.equal(false)
      expect(mail.parsed.subject).to.not.match(/[\r\n]/)
      const head = mail.raw.slice(0, mail.raw.indexOf('\r\n\r\n'))
      expect(head).to.not.match(/^(Bcc|X-Injected|RCPT)/im)
      // The text survives only inside the one Subject line, where it is harmless.
      expect(
        head
          .split('\r\n')
          .filter((line) => line.includes('victim@evil.test'))
          .map((line) => line.slice(0, 8)),
      ).to.deep.equal(['Subject:'])
    })
  })

  it('a From that is not an address is a permanent config error', async () => {
    fake = await new SmtpFake().start()
    const output = createEmailOutput(
      emailIntegration(`${RELAY(fake.port)}\n  user: apikey\n  password: pw\n  recipients: ["ops@example.com"]`),
    )
    const error = await failure(output, batchOf([fixtureItem('aqua-input.json')]))
    expect(error).to.include({ reason: 'config', retryable: false })
    expect(error.message).to.include('set sender to an email address')
  })
})
