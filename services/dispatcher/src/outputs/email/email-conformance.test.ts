import { createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { expect } from 'chai'
import { DeliveryError, type DeliveryContext, type Output } from '@postee/shared'
import { batchOf, fixtureItem } from '@postee/testkit'
import { createOutput } from '../registry.js'
import { deliveryContext, emailIntegration, SmtpFake, type ScriptedReply } from './smtp-fake.testkit.js'

/**
 * The output conformance suite (conformance.test.ts) is HTTP-shaped; this is its SMTP twin for the
 * email output, built through the registry like the others: accepted → a result; 5yz → permanent;
 * 4yz → retryable; refused → retryable network; a silent server → timeout within the attempt's
 * time; an abort is honoured; and the password, which the server echoes in every reply here (as
 * is and in base64, as AUTH sends it), is in no error message.
 */
const SECRET = 'conformance-s3cr3t-value'
const ECHO = `(you sent ${SECRET} ${Buffer.from(SECRET).toString('base64')})`

function outputFor(port: number): Output {
  const keys = `host: 127.0.0.1\n  port: ${port}\n  user: postee@example.com\n  password: ${SECRET}\n  require_tls: false\n  recipients: ["ops@example.com"]`
  return createOutput(emailIntegration(keys))!
}

async function failure(output: Output, ctx: DeliveryContext = deliveryContext(2_000)): Promise<DeliveryError> {
  try {
    await output.send(ctx, batchOf([fixtureItem('aqua-input.json')]))
  } catch (error) {
    expect(error).to.be.instanceOf(DeliveryError)
    expect((error as Error).message)
      .to.not.include(SECRET)
      .and.not.include(Buffer.from(SECRET).toString('base64'))
    return error as DeliveryError
  }
  throw new Error('expected the send to fail')
}

// A server that takes the connection and never says a word: no greeting, like a hung MTA.
async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => sockets.add(socket))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

describe('output conformance: email (SMTP)', () => {
  let fake: SmtpFake
  let reply: ((stage: string) => ScriptedReply | undefined) | undefined
  beforeEach(async () => {
    reply = undefined
    fake = await new SmtpFake({ login: { user: 'postee@example.com', pass: SECRET }, reply: (stage) => reply?.(stage) }).start()
  })
  afterEach(async () => fake.stop())

  it('accepted → a result with the Message-ID', async () => {
    const result = await outputFor(fake.port).send(deliveryContext(), batchOf([fixtureItem('aqua-input.json')]))
    expect(result.externalId).to.match(/^<postee-.+@example\.com>$/)
    expect(fake.received).to.have.length(1)
  })

  it('550 → permanent, with the server text and no secret', async () => {
    reply = (stage) => (stage === 'RCPT' ? { code: 550, text: `5.1.1 mailbox unavailable ${ECHO}` } : undefined)
    const error = await failure(outputFor(fake.port))
    expect(error).to.include({ retryable: false, reason: 'client-error' })
    expect(error.message).to.include('answered 550 to RCPT TO: 5.1.1 mailbox unavailable').and.include('<secret>')
  })

  it('421 → retryable, no secret', async () => {
    reply = (stage) => (stage === 'MAIL' ? { code: 421, text: `4.7.0 too busy ${ECHO}` } : undefined)
    expect(await failure(outputFor(fake.port))).to.include({ retryable: true, reason: 'server-error' })
  })

  it('535 → permanent auth failure, no secret', async () => {
    await fake.stop()
    fake = await new SmtpFake({ login: { user: 'postee@example.com', pass: 'another' } }).start()
    expect(await failure(outputFor(fake.port))).to.include({ retryable: false, reason: 'auth' })
  })

  it('a refused connection → network error, retryable', async () => {
    await fake.stop()
    const error = await failure(outputFor(fake.port))
    expect(error).to.include({ retryable: true, reason: 'network' })
    expect(error.message).to.include('ECONNREFUSED')
  })

  it('a silent server → timeout, retryable, within the attempt time', async () => {
    const silent = await silentServer()
    try {
      const started = Date.now()
      expect(await failure(outputFor(silent.port), deliveryContext(300))).to.include({ retryable: true, reason: 'timeout' })
      // The server never answers: ending at all proves the timeout; the bound only has to stay far
      // from "never" on a busy machine.
      expect(Date.now() - started).to.be.lessThan(10_000)
    } finally {
      await silent.close()
    }
  })

  it('honours an abort (a draining process)', async () => {
    const silent = await silentServer()
    try {
      const controller = new AbortController()
      // The abort is the stimulus (a draining process), not a wait.
      setTimeout(() => controller.abort(), 100)
      const started = Date.now()
      expect(await failure(outputFor(silent.port), deliveryContext(60_000, controller.signal))).to.include({ retryable: true })
      // Far below the attempt's own 60 s timeout: the abort, not the timeout, ended it.
      expect(Date.now() - started).to.be.lessThan(20_000)
    } finally {
      await silent.close()
    }
  })
})
