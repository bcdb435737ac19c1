import type { AddressInfo } from 'node:net'
import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer, type SMTPServerSession } from 'smtp-server'
import { generate } from 'selfsigned'
import { parseConfig, type DeliveryContext, type EmailIntegration } from '@postee/shared'

/**
 * A real SMTP server on loopback (smtp-server) for the email output's tests. Like a strict MTA it
 * refuses, after DATA, a message without Date, From or Message-ID (RFC 5322 3.6: Date and From
 * are required; large providers refuse mail without a Message-ID) or with a line over 998
 * characters (RFC 5322 2.1.1). It offers STARTTLS only when given a key pair and AUTH only when
 * given a login, and a test can script any reply per stage.
 */

/** A reply a test wants the server to give instead of accepting. */
export interface ScriptedReply {
  readonly code: number
  readonly text: string
}

/** Where a scripted reply is given: MAIL FROM, each RCPT TO (with its address), or after DATA. */
export type Stage = 'MAIL' | 'RCPT' | 'DATA'

/** How the fake server behaves. */
export interface SmtpFakeOptions {
  readonly host?: string
  readonly port?: number
  /** Offer STARTTLS with this pair; without it the server does not offer STARTTLS at all. */
  readonly tls?: { readonly key: string; readonly cert: string }
  /** Advertise AUTH and accept only this login (535 otherwise). */
  readonly login?: { readonly user: string; readonly pass: string }
  /** Refuse MAIL FROM with 530 until a login. */
  readonly requireLogin?: boolean
  readonly reply?: (stage: Stage, address: string | undefined) => ScriptedReply | undefined
}

/** One message the server took. */
export interface ReceivedMail {
  readonly mailFrom: string
  readonly rcptTo: readonly string[]
  readonly raw: string
  readonly parsed: ParsedMail
  readonly secure: boolean
  /** The login used, when the client authenticated. */
  readonly user: string | undefined
  readonly password: string | undefined
}

/** The fake server; `start()` listens, `stop()` closes. */
export class SmtpFake {
  readonly received: ReceivedMail[] = []
  /** Every AUTH attempt, accepted or not. */
  readonly logins: { user: string | undefined; password: string | undefined }[] = []
  #server: SMTPServer | undefined
  #port = 0

  constructor(readonly options: SmtpFakeOptions = {}) {}

  get port(): number {
    return this.#port
  }

  async start(): Promise<this> {
    const server = new SMTPServer(this.#serverOptions())
    server.on('error', () => undefined)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve())
    })
    this.#server = server
    this.#port = (server.server.address() as AddressInfo).port
    return this
  }

  async stop(): Promise<void> {
    const server = this.#server
    this.#server = undefined
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  #serverOptions(): ConstructorParameters<typeof SMTPServer>[0] {
    const { tls, login } = this.options
    return {
      logger: false,
      disableReverseLookup: true,
      size: 25 * 1024 * 1024,
      ...(tls ? { key: tls.key, cert: tls.cert } : {}),
      disabledCommands: [...(tls ? [] : ['STARTTLS']), ...(login ? [] : ['AUTH'])],
      authOptional: !this.options.requireLogin,
      allowInsecureAuth: !tls,
      onAuth: (auth, _session, callback) => {
        this.logins.push({ user: auth.username, password: auth.password ?? undefined })
        if (login && auth.username === login.user && auth.password === login.pass)
          return callback(null, { user: { user: auth.username, password: auth.password } })
        callback(smtpError(535, '5.7.8 Authentication credentials invalid'))
      },
      onMailFrom: (address, _session, callback) => callback(this.#scripted('MAIL', address.address)),
      onRcptTo: (address, _session, callback) => callback(this.#scripted('RCPT', address.address)),
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = []
        stream.on('data', (chunk: Buffer) => chunks.push(chunk))
        stream.on('end', () => {
          this.#take(Buffer.concat(chunks).toString('utf8'), session).then(
            () => callback(null),
            (error: Error) => callback(error),
          )
        })
      },
    }
  }

  #scripted(stage: Stage, address: string | undefined): Error | null {
    const reply = this.options.reply?.(stage, address)
    return reply ? smtpError(reply.code, reply.text) : null
  }

  async #take(raw: string, session: SMTPServerSession): Promise<void> {
    const scripted = this.#scripted('DATA', undefined)
    if (scripted) throw scripted
    const parsed = await simpleParser(raw)
    const missing = ['date', 'from', 'message-id'].filter((name) => !parsed.headers.has(name))
    if (missing.length > 0) throw smtpError(550, `5.6.0 message refused: no ${missing.join(', ')} header`)
    if (raw.split('\r\n').some((line) => line.length > 998)) throw smtpError(550, '5.6.0 message refused: a line is over 998 characters')
    const login = session.user as { user: string; password: string } | undefined
    const envelope = session.envelope
    this.received.push({
      mailFrom: envelope.mailFrom ? envelope.mailFrom.address : '',
      rcptTo: envelope.rcptTo.map((rcpt) => rcpt.address),
      raw,
      parsed,
      secure: session.secure,
      user: login?.user,
      password: login?.password,
    })
  }
}

function smtpError(code: number, text: string): Error {
  return Object.assign(new Error(text), { responseCode: code })
}

/** A self-signed key pair for `localhost` and 127.0.0.1, as a lab SMTP server would have. */
export async function selfSignedPair(): Promise<{ key: string; cert: string }> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  })
  return { key: pems.private, cert: pems.cert }
}

/** An email integration from cfg.yaml text (the keys of one item, two-space indented after the first). */
export function emailIntegration(keys: string, env: NodeJS.ProcessEnv = {}): EmailIntegration {
  const config = parseConfig(`- name: mail\n  enable: true\n  type: email\n  ${keys}\n`, env)
  return config.integrations[0] as EmailIntegration
}

/** A delivery context as the dispatcher builds it: the signal aborts when the attempt times out. */
export function deliveryContext(timeoutMs = 10_000, signal: AbortSignal = AbortSignal.timeout(timeoutMs)): DeliveryContext {
  return { signal, timeoutMs, aquaServer: 'https://aqua.example.com' }
}
