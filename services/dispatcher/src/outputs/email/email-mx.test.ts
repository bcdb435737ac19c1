import { expect } from 'chai'
import { DeliveryError, type DeliveryBatch, type Output } from '@postee/shared'
import { batchOf, fixtureItem } from '@postee/testkit'
import { DnsFake } from './dns-fake.testkit.js'
import { createEmailOutput } from './email-output.js'
import { deliveryContext, emailIntegration, SmtpFake, type SmtpFakeOptions } from './smtp-fake.testkit.js'

/**
 * UseMX against a fake DNS server and fake MTAs on separate loopback addresses sharing one port
 * (the configured `port` stands in for 25): primary 127.0.0.2, backup 127.0.0.3, and 127.0.0.4
 * for a domain without MX records, reached through its A record.
 */
const ZONE = {
  'example.test': {
    mx: [
      [20, 'mx-backup.example.test'],
      [10, 'mx-primary.example.test'],
    ] as [number, string][],
  },
  'mx-primary.example.test': { a: ['127.0.0.2'] },
  'mx-backup.example.test': { a: ['127.0.0.3'] },
  'plain.test': { a: ['127.0.0.4'] },
  'nomail.test': { mx: [[0, '.']] as [number, string][] },
  'broken.test': { servfail: true },
}

function batch(): DeliveryBatch {
  return batchOf([fixtureItem('aqua-input.json')])
}

describe('email output: UseMX', () => {
  let dns: DnsFake
  let primary: SmtpFake
  let backup: SmtpFake
  let plain: SmtpFake

  async function startAll(options: { primary?: SmtpFakeOptions; backup?: SmtpFakeOptions } = {}): Promise<void> {
    primary = await new SmtpFake({ ...options.primary, host: '127.0.0.2' }).start()
    backup = await new SmtpFake({ ...options.backup, host: '127.0.0.3', port: primary.port }).start()
    plain = await new SmtpFake({ host: '127.0.0.4', port: primary.port }).start()
  }

  function output(recipients: string[], extra = ''): Output {
    const keys = `UseMX: true\n  port: ${primary.port}\n  sender: postee@corp.example\n  recipients: ${JSON.stringify(recipients)}${extra}`
    return createEmailOutput(emailIntegration(keys), { resolver: dns.resolver() })
  }

  async function failure(out: Output): Promise<DeliveryError> {
    const error = await out.send(deliveryContext(), batch()).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).to.be.instanceOf(DeliveryError)
    return error as DeliveryError
  }

  beforeEach(async () => {
    dns = await new DnsFake(ZONE).start()
  })
  afterEach(async () => {
    await Promise.all([dns.stop(), primary?.stop(), backup?.stop(), plain?.stop()])
  })

  it('sends one transaction per domain to its most preferred MX, falling back to the A record, never logging in', async () => {
    const login = { user: 'relay-user', pass: 'relay-pass' }
    await startAll({ primary: { login }, backup: { login } })
    const recipients = ['a@example.test', 'b@Example.test', 'c@plain.test']
    const result = await output(recipients, '\n  user: relay-user\n  password: relay-pass').send(deliveryContext(), batch())
    expect(primary.received.map((mail) => mail.rcptTo)).to.deep.equal([['a@example.test', 'b@example.test']])
    expect(plain.received.map((mail) => mail.rcptTo)).to.deep.equal([['c@plain.test']])
    expect(backup.received).to.have.length(0)
    expect(primary.logins).to.deep.equal([])
    for (const mail of [primary.received[0]!, plain.received[0]!]) {
      expect(mail.parsed.messageId).to.equal(result.externalId)
      expect(mail.mailFrom).to.equal('postee@corp.example')
      expect(mail.parsed.headers.get('to')).to.have.nested.property('value.length', 3)
    }
    expect(dns.queries).to.deep.include.members([
      { name: 'example.test', type: 'MX' },
      { name: 'mx-primary.example.test', type: 'A' },
      { name: 'plain.test', type: 'MX' },
      { name: 'plain.test', type: 'A' },
    ])
  })

  it('moves on to the backup MX when the primary defers (4yz)', async () => {
    await startAll({ primary: { reply: (stage) => (stage === 'MAIL' ? { code: 421, text: '4.7.0 try again later' } : undefined) } })
    await output(['a@example.test']).send(deliveryContext(), batch())
    expect(backup.received.map((mail) => mail.rcptTo)).to.deep.equal([['a@example.test']])
  })

  it('moves on to the backup MX when the primary is down', async () => {
    await startAll()
    await primary.stop()
    await output(['a@example.test']).send(deliveryContext(), batch())
    expect(backup.received).to.have.length(1)
  })

  it('a permanent refusal (5yz) is final: the backup is not asked', async () => {
    await startAll({ primary: { reply: (stage) => (stage === 'RCPT' ? { code: 550, text: '5.1.1 no such user' } : undefined) } })
    const error = await failure(output(['a@example.test']))
    expect(error).to.include({ retryable: false, reason: 'client-error' })
    expect(error.message).to.include('example.test: mx-primary.example.test[127.0.0.2]').and.include('550')
    expect(backup.received).to.have.length(0)
  })

  it('when no host accepts, the error names every host and what it answered, and can be retried', async () => {
    await startAll({ primary: { reply: (stage) => (stage === 'MAIL' ? { code: 451, text: '4.3.0 greylisted' } : undefined) } })
    await backup.stop()
    const error = await failure(output(['a@example.test']))
    expect(error.retryable).to.equal(true)
    expect(error.message).to.include('no mail host of example.test accepted the message')
    expect(error.message).to.include(`mx-primary.example.test[127.0.0.2]:${primary.port} answered 451`).and.include('greylisted')
    expect(error.message).to.include(`mx-backup.example.test[127.0.0.3]:${primary.port}: network error: ECONNREFUSED`)
  })

  it('a domain that does not exist, or takes no mail (null MX), is permanent; a failing DNS server is not', async () => {
    await startAll()
    expect(await failure(output(['a@nowhere.test']))).to.include({ retryable: false, reason: 'client-error' })
    const nullMx = await failure(output(['a@nomail.test']))
    expect(nullMx).to.include({ retryable: false })
    expect(nullMx.message).to.include('null MX')
    expect(await failure(output(['a@broken.test']))).to.include({ retryable: true, reason: 'network' })
  })

  it('delivers to the domains it can and reports the others, naming what was delivered', async () => {
    await startAll()
    const error = await failure(output(['a@example.test', 'b@nowhere.test']))
    expect(error).to.include({ retryable: false })
    expect(error.message).to.include('nowhere.test does not exist').and.include('(delivered to example.test)')
    expect(primary.received).to.have.length(1)
  })
})
