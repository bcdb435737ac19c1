import { expect } from 'chai'
import { DeliveryError, type FailureReason } from '@postee/shared'
import { batchOf, fixtureItem } from '@postee/testkit'
import { createEmailOutput } from './email-output.js'
import { classifyReply } from './smtp-errors.js'
import { deliveryContext, emailIntegration, SmtpFake, type Stage } from './smtp-fake.testkit.js'

/** SMTP replies as real servers give them, and what each must become (RFC 5321 4.2.1, 4.2.2). */
const REPLIES: readonly { stage: Stage; code: number; text: string; reason: FailureReason; retryable: boolean }[] = [
  { stage: 'RCPT', code: 550, text: '5.1.1 mailbox unavailable', reason: 'client-error', retryable: false },
  { stage: 'RCPT', code: 553, text: '5.1.3 mailbox name not allowed', reason: 'client-error', retryable: false },
  { stage: 'DATA', code: 554, text: '5.7.1 message rejected as spam', reason: 'client-error', retryable: false },
  { stage: 'MAIL', code: 550, text: '5.7.1 sender rejected', reason: 'client-error', retryable: false },
  { stage: 'DATA', code: 552, text: '5.3.4 message size exceeds fixed limit', reason: 'payload-too-large', retryable: false },
  { stage: 'MAIL', code: 530, text: '5.7.0 authentication required', reason: 'auth', retryable: false },
  { stage: 'MAIL', code: 421, text: '4.3.2 service shutting down', reason: 'server-error', retryable: true },
  { stage: 'RCPT', code: 450, text: '4.2.1 mailbox busy', reason: 'server-error', retryable: true },
  { stage: 'DATA', code: 451, text: '4.3.0 local error in processing', reason: 'server-error', retryable: true },
  { stage: 'RCPT', code: 452, text: '4.5.3 too many recipients', reason: 'server-error', retryable: true },
]

const KEYS = (port: number): string =>
  `host: 127.0.0.1\n  port: ${port}\n  sender: postee@example.com\n  recipients: ["ops@example.com", "sec@example.com"]`

describe('email output: SMTP replies', () => {
  let fake: SmtpFake
  afterEach(async () => fake.stop())

  for (const reply of REPLIES) {
    it(`${reply.code} to ${reply.stage} → ${reply.retryable ? 'retryable' : 'permanent'} ${reply.reason}`, async () => {
      fake = await new SmtpFake({ reply: (stage) => (stage === reply.stage ? reply : undefined) }).start()
      const output = createEmailOutput(emailIntegration(KEYS(fake.port)))
      const error = await output.send(deliveryContext(), batchOf([fixtureItem('aqua-input.json')])).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).to.be.instanceOf(DeliveryError)
      expect(error).to.include({ reason: reply.reason, retryable: reply.retryable })
      expect((error as Error).message)
        .to.include(`127.0.0.1:${fake.port} answered ${reply.code}`)
        .and.include(reply.text)
    })
  }

  it('a message taken for some recipients is sent: a retry would send it twice to the others', async () => {
    fake = await new SmtpFake({
      reply: (stage, address) =>
        stage === 'RCPT' && address === 'sec@example.com' ? { code: 550, text: '5.1.1 no such user' } : undefined,
    }).start()
    const result = await createEmailOutput(emailIntegration(KEYS(fake.port))).send(
      deliveryContext(),
      batchOf([fixtureItem('aqua-input.json')]),
    )
    expect(result.externalId).to.match(/^<postee-/)
    expect(fake.received[0]!.rcptTo).to.deep.equal(['ops@example.com'])
  })

  it('every recipient refused, one of them only for now → retryable', async () => {
    const replyFor = (address: string | undefined) =>
      address === 'ops@example.com' ? { code: 550, text: '5.1.1 no such user' } : { code: 450, text: '4.2.1 try later' }
    fake = await new SmtpFake({ reply: (stage, address) => (stage === 'RCPT' ? replyFor(address) : undefined) }).start()
    const error = await createEmailOutput(emailIntegration(KEYS(fake.port)))
      .send(deliveryContext(), batchOf([fixtureItem('aqua-input.json')]))
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect(error).to.include({ retryable: true, reason: 'server-error' })
  })

  it('classifies reply codes by class, with 503 as the one retryable 5yz', () => {
    expect(classifyReply(503)).to.include({ retryable: true })
    expect(classifyReply(535)).to.include({ reason: 'auth', retryable: false })
    expect(classifyReply(554)).to.include({ reason: 'client-error', retryable: false })
    expect(classifyReply(447)).to.include({ reason: 'server-error', retryable: true })
  })
})
