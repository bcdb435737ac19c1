import { expect } from 'chai'
import { HttpFake, readFixture, startStack, waitFor, type RecordedRequest, type Stack } from '@postee/testkit'
import { SmtpFake } from '../src/outputs/email/smtp-fake.testkit.js'

/** Known secret values, each put where the config takes a secret. */
const SECRETS = {
  WEBHOOK_KEY: 'whk-8f2c1d9e7a6b5c4d',
  SLACK_KEY: 'slk-B0000000000-Zx9Yw8Vu7Ts6',
  TEAMS_KEY: 'tms-4b3a2c1d0e9f8a7b',
  SPLUNK_TOKEN: 'spl-0f1e2d3c-4b5a-6978',
  SNOW_PASSWORD: 'snw-Pa55w0rd-Qq1Ww2',
  JIRA_PASSWORD: 'jra-ApiT0ken-Ee3Rr4',
  JIRA_PAT: 'jra-pat-Tt5Yy6Uu7Ii8',
  SMTP_PASSWORD: 'smt-Oo9Pp0Aa1Ss2',
  INGEST_TOKEN: 'ing-7k6j5h4g3f2d1s0a',
  ADMIN_TOKEN: 'adm-3m4n5b6v7c8x9z0l',
}
const JIRA_USER = 'bot@example.com'
const DERIVED = [
  Buffer.from(`${JIRA_USER}:${SECRETS.JIRA_PASSWORD}`).toString('base64'),
  Buffer.from(`postee:${SECRETS.SNOW_PASSWORD}`).toString('base64'),
]
const SMTP_DERIVED = [
  Buffer.from(SECRETS.SMTP_PASSWORD).toString('base64'),
  Buffer.from(`\u0000mailer@example.com\u0000${SECRETS.SMTP_PASSWORD}`).toString('base64'),
]
const ALL = [...Object.values(SECRETS), ...DERIVED, ...SMTP_DERIVED]

/** A target that fails and echoes everything it was sent: URL, headers and body. */
function echoingFailure(status: number) {
  return (request: RecordedRequest) => ({
    status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      error: `rejected ${request.method} ${request.path}`,
      headers: request.headers,
      body: request.body.slice(0, 200),
      errorMessages: [`auth ${request.headers.authorization}`],
    }),
  })
}

function config(url: string, smtpPort: number): string {
  const common = '  retries: 2\n  backoff: 50ms\n  backoff-max: 100ms\n  timeout: 2s\n'
  return `- type: common
  Ingest-Token: $INGEST_TOKEN
  Admin-Token: $ADMIN_TOKEN
- name: hook
  type: webhook
  enable: true
  url: ${url}/hook/$\{WEBHOOK_KEY}
${common}- name: chat
  type: slack
  enable: true
  url: $SLACK_URL
${common}- name: teams
  type: teams
  enable: true
  format: legacy
  url: $TEAMS_URL
${common}- name: hec
  type: splunk
  enable: true
  url: ${url}/hec
  token: $SPLUNK_TOKEN
${common}- name: snow
  type: serviceNow
  enable: true
  instance: ${url}/snow
  user: postee
  password: $SNOW_PASSWORD
${common}- name: jira-basic
  type: jira
  enable: true
  url: ${url}/jira-basic
  user: ${JIRA_USER}
  password: $JIRA_PASSWORD
  project_key: VUL
${common}- name: jira-pat
  type: jira
  enable: true
  url: ${url}/jira-pat
  token: $JIRA_PAT
  project_key: VUL
${common}- name: mail
  type: email
  enable: true
  host: 127.0.0.1
  port: ${smtpPort}
  user: mailer@example.com
  password: $SMTP_PASSWORD
  require_tls: false
  recipients: [secops@example.com]
${common}`
}

describe('no secret is ever shown (failing deliveries with known secrets)', function () {
  this.timeout(90_000)
  let fake: HttpFake
  let smtp: SmtpFake
  let stack: Stack

  before(async () => {
    fake = await new HttpFake((request, index) => echoingFailure(index % 2 === 0 ? 500 : 401)(request)).start()
    // An SMTP server whose AUTH always fails (535), so the password is sent and refused.
    smtp = await new SmtpFake({ login: { user: 'mailer@example.com', pass: 'something-else' } }).start()
    stack = await startStack({
      config: config(fake.url, smtp.port),
      env: {
        ...SECRETS,
        SLACK_URL: `${fake.url}/slack/services/T0/${SECRETS.SLACK_KEY}`,
        TEAMS_URL: `${fake.url}/teams/webhookb2/${SECRETS.TEAMS_KEY}`,
        POSTEE_LOG_LEVEL: 'trace',
      },
    })
  })
  after(async () => {
    await stack?.stop()
    await fake?.stop()
    await smtp?.stop()
  })

  it('finds none in any log line, API answer, CLI-visible error or metric', async () => {
    const url = stack.ingestUrls[0]!
    const auth = { authorization: `Bearer ${SECRETS.INGEST_TOKEN}`, 'content-type': 'application/json' }
    const admin = { authorization: `Bearer ${SECRETS.ADMIN_TOKEN}` }
    const posted = await fetch(`${url}/scan`, { method: 'POST', body: readFixture('aqua-input.json'), headers: auth })
    expect(posted.status).to.equal(202)
    const { id } = (await posted.json()) as { id: string }
    // Let every delivery run out of attempts against the echoing target.
    let deliveries: { status: string; lastError: string | null }[] = []
    await waitFor(
      async () => {
        deliveries = (
          (await (await fetch(`${url}/api/deliveries?scan=${id}`, { headers: admin })).json()) as { deliveries: typeof deliveries }
        ).deliveries
        return deliveries.length === 8 && deliveries.every((d) => ['failed', 'dead'].includes(d.status))
      },
      { timeoutMs: 30_000, intervalMs: 250, what: 'the 8 deliveries to fail' },
    ).catch(() => undefined) // the assertion below reports what was seen
    expect(
      deliveries.map((d) => d.status).every((s) => s === 'failed' || s === 'dead'),
      JSON.stringify(deliveries),
    ).to.equal(true)
    expect(fake.requests.length).to.be.greaterThan(7)
    expect(smtp.logins.some((login) => login.password === SECRETS.SMTP_PASSWORD)).to.equal(true)
    // The targets really did receive (and echo) the secrets, so finding none below means something.
    expect(fake.requests.some((r) => JSON.stringify(r).includes(SECRETS.SLACK_KEY) || r.path.includes(SECRETS.SLACK_KEY))).to.equal(true)

    const surfaces: [string, string][] = [
      ['ingest log', stack.ingests[0]!.output()],
      ['dispatcher log', stack.dispatchers[0]!.output()],
      ['GET /api/deliveries', await (await fetch(`${url}/api/deliveries`, { headers: admin })).text()],
      ['GET /api/scans/:id', await (await fetch(`${url}/api/scans/${id}`, { headers: admin })).text()],
      ['ingest /metrics', await (await fetch(`${url}/metrics`)).text()],
      ['dispatcher /metrics', await (await fetch(`${stack.dispatcherUrls[0]}/metrics`)).text()],
      ['config reload answer', await (await fetch(`${url}/api/reload`, { method: 'POST', headers: admin })).text()],
    ]
    for (const [surface, text] of surfaces) {
      for (const secret of ALL) expect(text.includes(secret), `${surface} contains a secret`).to.equal(false)
    }
    expect(deliveries.some((d) => d.lastError?.includes('<secret>'))).to.equal(true)
    if (process.env.SHOW_ERRORS) console.log(deliveries.map((d) => d.lastError).join('\n'))
  })
})
