import { expect } from 'chai'
import { readFixture, startStack, type Stack } from '@postee/testkit'
import { SmtpFake, type ReceivedMail } from '../src/outputs/email/smtp-fake.testkit.js'

// Aggregated email to <%application_scope_owner%>: whoever can post a scan must never receive
// another team's findings because both scans fell into one aggregation window.

function scanBody(image: string, owners: readonly string[]): string {
  const json = JSON.parse(readFixture('aqua-input.json').toString('utf8'))
  json.image = image
  json.application_scope_owners = owners
  return JSON.stringify(json)
}

async function post(url: string, image: string, owners: readonly string[]): Promise<void> {
  const response = await fetch(`${url}/scan`, {
    method: 'POST',
    body: scanBody(image, owners),
    headers: { 'content-type': 'application/json' },
  })
  expect(response.status).to.equal(202)
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

function emailConfig(port: number, keys: string): string {
  return `- name: owners-mail
  type: email
  enable: true
  host: 127.0.0.1
  port: ${port}
  sender: postee@corp.example
  recipients: ["secops@corp.example", "<%application_scope_owner%>"]
  ${keys}
`
}

/** Which of the images a message's text part names. */
function imagesIn(mail: ReceivedMail, images: readonly string[]): string[] {
  return images.filter((image) => (mail.parsed.text ?? '').includes(image))
}

describe('aggregation never mixes audiences (processes, real Postgres, Redis and an SMTP server)', function () {
  this.timeout(120_000)
  let smtp: SmtpFake
  let stack: Stack | undefined

  beforeEach(async () => {
    smtp = await new SmtpFake().start()
  })
  afterEach(async () => {
    await stack?.stop()
    stack = undefined
    await smtp.stop()
  })

  it('Aggregate-Issues-Number: 2 with two owners interleaved → one email per owner, each with only its own scans', async () => {
    stack = await startStack({ config: emailConfig(smtp.port, 'Aggregate-Issues-Number: 2') })
    const url = stack.ingestUrls[0]!
    await post(url, 'payments:7.1', ['alice@corp.example'])
    await post(url, 'webshop:1.0', ['attacker@evil.example'])
    await post(url, 'payments:7.2', ['Alice@corp.example'])
    await post(url, 'webshop:1.1', ['attacker@evil.example'])
    await waitFor(() => smtp.received.length >= 2, 'two emails')
    const all = ['payments:7.1', 'payments:7.2', 'webshop:1.0', 'webshop:1.1']
    const byRecipients = new Map(smtp.received.map((mail) => [mail.rcptTo.join(','), imagesIn(mail, all)]))
    expect(smtp.received).to.have.length(2)
    expect(Object.fromEntries(byRecipients)).to.deep.equal({
      'secops@corp.example,alice@corp.example': ['payments:7.1', 'payments:7.2'],
      'secops@corp.example,attacker@evil.example': ['webshop:1.0', 'webshop:1.1'],
    })
  })

  it('a window (Aggregate-Issues-Number: 2 and a 2 s timeout) with one scan of each owner → two emails, each to exactly its owner', async () => {
    stack = await startStack({ config: emailConfig(smtp.port, 'Aggregate-Issues-Number: 2\n  Aggregate-Issues-Timeout: 2s') })
    const url = stack.ingestUrls[0]!
    await post(url, 'payments:7.1', ['alice@corp.example'])
    await post(url, 'webshop:1.0', ['attacker@evil.example'])
    await waitFor(() => smtp.received.length >= 2, 'two emails')
    const all = ['payments:7.1', 'webshop:1.0']
    const sent = smtp.received
      .map((mail) => ({ to: mail.rcptTo, images: imagesIn(mail, all) }))
      .sort((a, b) => a.to[1]!.localeCompare(b.to[1]!))
    expect(sent).to.deep.equal([
      { to: ['secops@corp.example', 'alice@corp.example'], images: ['payments:7.1'] },
      { to: ['secops@corp.example', 'attacker@evil.example'], images: ['webshop:1.0'] },
    ])
  })
})
