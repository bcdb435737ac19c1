import { expect } from 'chai'
import { createTransport } from 'nodemailer'
import { SmtpFake } from './smtp-fake.testkit.js'

describe('email test support: the fake SMTP server', () => {
  it('refuses a message without Message-ID, as a strict MTA does', async () => {
    const fake = await new SmtpFake().start()
    const transport = createTransport({ host: '127.0.0.1', port: fake.port })
    try {
      const raw = 'From: a@example.com\r\nTo: b@example.com\r\nDate: Thu, 26 Nov 2026 12:00:00 +0000\r\nSubject: x\r\n\r\nbody\r\n'
      const error = await transport.sendMail({ envelope: { from: 'a@example.com', to: ['b@example.com'] }, raw }).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).to.have.property('responseCode', 550)
      expect(fake.received).to.have.length(0)
    } finally {
      transport.close()
      await fake.stop()
    }
  })
})
