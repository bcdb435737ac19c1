import { expect } from 'chai'
import { createTransport } from 'nodemailer'
import { ConfigError, DeliveryError, parseConfig, type DeliveryBatch, type DeliveryItem, type Output } from '@postee/shared'
import { batchOf, fixtureItem } from '@postee/testkit'
import { createEmailOutput } from './email-output.js'
import { smtpFailure } from './smtp-errors.js'
import { deliveryContext, emailIntegration, selfSignedPair, SmtpFake } from './smtp-fake.testkit.js'

// Cleartext AUTH, and recipients chosen by scan content: what an attacker on the path or one who
// can post a scan could do with the email output, each against a real SMTP server on loopback.

const RELAY = (port: number): string => `host: 127.0.0.1\n  port: ${port}`
const LOGIN = { user: 'alerts@corp.example', pass: 'Sm7p-pa55w0rd' }
const AUTH_KEYS = `user: ${LOGIN.user}\n  password: ${LOGIN.pass}\n  recipients: ["ops@corp.example"]`
const OWNER = '"<%application_scope_owner%>"'

function withOwners(item: DeliveryItem, owners: readonly string[]): DeliveryItem {
  return { ...item, scan: { ...item.scan, owners } }
}

async function failure(output: Output, batch: DeliveryBatch): Promise<DeliveryError> {
  const error = await output.send(deliveryContext(), batch).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).to.be.instanceOf(DeliveryError)
  return error as DeliveryError
}

describe('email output: require_tls', () => {
  let fake: SmtpFake
  let pair: { key: string; cert: string }
  before(async () => {
    pair = await selfSignedPair()
  })
  afterEach(async () => fake.stop())

  it('is on by default with user and password: a server without STARTTLS gets no password, and the delivery fails for good naming the key', async () => {
    fake = await new SmtpFake({ login: LOGIN }).start()
    const output = createEmailOutput(emailIntegration(`${RELAY(fake.port)}\n  ${AUTH_KEYS}`))
    const error = await failure(output, batchOf([fixtureItem('aqua-input.json')]))
    expect(error).to.include({ reason: 'config', retryable: false })
    expect(error.message).to.include('require_tls').and.include('STARTTLS').and.include('port 465').and.not.include(LOGIN.pass)
    expect(fake.logins).to.deep.equal([])
    expect(fake.received).to.have.length(0)
  })

  it('upgrades with STARTTLS before AUTH when the server offers it (self-signed, tls_verify: false)', async () => {
    fake = await new SmtpFake({ tls: pair, login: LOGIN }).start()
    const output = createEmailOutput(emailIntegration(`${RELAY(fake.port)}\n  ${AUTH_KEYS}\n  tls_verify: false`))
    await output.send(deliveryContext(), batchOf([fixtureItem('aqua-input.json')]))
    expect(fake.received).to.have.length(1)
    expect(fake.received[0]).to.include({ secure: true, user: LOGIN.user, password: LOGIN.pass })
  })

  it('require_tls: false allows cleartext AUTH (a trusted lab network), as before', async () => {
    fake = await new SmtpFake({ login: LOGIN }).start()
    const output = createEmailOutput(emailIntegration(`${RELAY(fake.port)}\n  ${AUTH_KEYS}\n  require_tls: false`))
    await output.send(deliveryContext(), batchOf([fixtureItem('aqua-input.json')]))
    expect(fake.received[0]).to.include({ secure: false, user: LOGIN.user })
  })

  it('without a login nothing changes: a relay without STARTTLS still takes the mail', async () => {
    fake = await new SmtpFake().start()
    const integration = emailIntegration(`${RELAY(fake.port)}\n  sender: postee@corp.example\n  recipients: ["ops@corp.example"]`)
    expect(integration.requireTls).to.equal(false)
    await createEmailOutput(integration).send(deliveryContext(), batchOf([fixtureItem('aqua-input.json')]))
    expect(fake.received).to.have.length(1)
  })
})

describe('email output: recipients from scan data are bounded and fenced', () => {
  let fake: SmtpFake
  afterEach(async () => fake.stop())

  it('owners_max (default 20) caps the owners taken from one scan; the rest are a warning on the delivery', async () => {
    fake = await new SmtpFake().start()
    const output = createEmailOutput(
      emailIntegration(`${RELAY(fake.port)}\n  sender: postee@corp.example\n  recipients: ["ops@corp.example", ${OWNER}]`),
    )
    const owners = Array.from({ length: 2_000 }, (_, i) => `dev${i}@corp.example`)
    const result = await output.send(deliveryContext(), batchOf([withOwners(fixtureItem('aqua-input.json'), owners)]))
    const mail = fake.received[0]!
    expect(mail.rcptTo).to.deep.equal(['ops@corp.example', ...owners.slice(0, 20)])
    expect(mail.raw.slice(0, mail.raw.indexOf('\r\n\r\n')).length).to.be.below(4_000)
    expect(result.warnings).to.deep.equal(['recipients left out: "1980 more owners" over owners_max (20 per scan)'])
  })

  it('owners_max applies per scan, and can be set', async () => {
    fake = await new SmtpFake().start()
    const output = createEmailOutput(
      emailIntegration(`${RELAY(fake.port)}\n  sender: postee@corp.example\n  recipients: [${OWNER}]\n  owners_max: 2`),
    )
    const batch = batchOf([
      withOwners(fixtureItem('aqua-input.json', { n: 1 }), ['a@corp.example', 'b@corp.example', 'c@corp.example']),
      withOwners(fixtureItem('trivy-input.json', { n: 2 }), ['d@corp.example', 'e@corp.example']),
    ])
    const result = await output.send(deliveryContext(), batch)
    expect(fake.received[0]!.rcptTo).to.deep.equal(['a@corp.example', 'b@corp.example', 'd@corp.example', 'e@corp.example'])
    expect(result.warnings![0]).to.include('"1 more owner" over owners_max (2 per scan)')
  })

  it('owners_domains keeps only owners in those exact domains, compared without case', async () => {
    fake = await new SmtpFake().start()
    const output = createEmailOutput(
      emailIntegration(
        `${RELAY(fake.port)}\n  sender: postee@corp.example\n  recipients: ["ops@corp.example", ${OWNER}]\n  owners_domains: [Corp.Example, partner.example]`,
      ),
    )
    const owners = [
      'Alice@CORP.example',
      'attacker@evil.example',
      'x@sub.corp.example',
      'y@corp.example.evil',
      'bob@partner.example',
      'no-domain',
    ]
    const result = await output.send(deliveryContext(), batchOf([withOwners(fixtureItem('aqua-input.json'), owners)]))
    expect(fake.received[0]!.rcptTo).to.deep.equal(['ops@corp.example', 'Alice@corp.example', 'bob@partner.example'])
    for (const dropped of ['attacker@evil.example', 'x@sub.corp.example', 'y@corp.example.evil', 'no-domain']) {
      expect(result.warnings![0]).to.include(`"${dropped}" is not in owners_domains`)
    }
  })

  it("the mail library's recipient cap is a permanent error, never retried", async () => {
    fake = await new SmtpFake().start()
    const transport = createTransport({ host: '127.0.0.1', port: fake.port })
    try {
      const thrown = await transport
        .sendMail({ from: 'postee@corp.example', to: ['a@corp.example', 'b@corp.example', 'c@corp.example'], text: 'x', maxRecipients: 2 })
        .then(
          () => undefined,
          (e: unknown) => e,
        )
      expect(thrown).to.have.property('code', 'EMAXRECIPIENTS')
      const error = smtpFailure(thrown, `127.0.0.1:${fake.port}`, deliveryContext(), [])
      expect(error).to.include({ reason: 'config', retryable: false })
      expect(error.message).to.include('too many recipients').and.include('owners_max')
    } finally {
      transport.close()
    }
  })
})

describe('email config: require_tls, owners_max, owners_domains', () => {
  function problems(keys: string): string {
    try {
      parseConfig(`- name: mail\n  enable: true\n  type: email\n  host: h\n  recipients: [a@b.example]\n  ${keys}\n`, {})
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError)
      return (error as ConfigError).message
    }
    throw new Error('expected a ConfigError')
  }

  const defaults: [string, string, { requireTls: boolean; ownersMax: number; ownersDomains: readonly string[] | undefined }][] = [
    ['no login', 'port: 25', { requireTls: false, ownersMax: 20, ownersDomains: undefined }],
    ['user and password', 'user: u@b.example\n  password: p', { requireTls: true, ownersMax: 20, ownersDomains: undefined }],
    [
      'explicitly off',
      'user: u@b.example\n  password: p\n  require_tls: false',
      { requireTls: false, ownersMax: 20, ownersDomains: undefined },
    ],
    ['explicitly on without login', 'require_tls: true', { requireTls: true, ownersMax: 20, ownersDomains: undefined }],
    [
      'fence',
      'owners_max: 5\n  owners_domains: "Corp.Example., b.example"',
      { requireTls: false, ownersMax: 5, ownersDomains: ['corp.example', 'b.example'] },
    ],
  ]
  for (const [name, keys, expected] of defaults) {
    it(`reads ${name}`, () => {
      const { requireTls, ownersMax, ownersDomains } = emailIntegration(`host: h\n  recipients: [a@b.example]\n  ${keys}`)
      expect({ requireTls, ownersMax, ownersDomains }).to.deep.equal(expected)
    })
  }

  const invalid: [string, string, RegExp][] = [
    ['owners_max not a number', 'owners_max: many', /owners_max: "many" is not a whole number from 0 to 1000/],
    ['owners_max negative', 'owners_max: -1', /owners_max: .*not a whole number from 0 to 1000/],
    [
      'owners_domains with an @',
      'owners_domains: ["@corp.example"]',
      /owners_domains: "@corp.example" is not a domain name; write the exact domain after the @/,
    ],
    ['owners_domains with a wildcard', 'owners_domains: ["*.corp.example"]', /"\*\.corp\.example" is not a domain name/],
    ['owners_domains empty', 'owners_domains: []', /owners_domains: is empty/],
    ['require_tls not a boolean', 'require_tls: sometimes', /require_tls: "sometimes" is not a boolean/],
  ]
  for (const [name, keys, message] of invalid) {
    it(`refuses ${name}`, () => {
      expect(problems(keys)).to.match(message)
    })
  }
})
