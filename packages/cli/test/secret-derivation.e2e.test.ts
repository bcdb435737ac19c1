import { expect } from 'chai'
import fc from 'fast-check'
import { derivedForms, HttpFake, leakedRuns, readFixture, startStack, type RecordedRequest, type Stack } from '@postee/testkit'
import { run } from '../src/cli.js'

// Generated secrets, echoed back by the targets in every derived form (case variants, URL and
// base64 and hex encodings, prefixes), must not reach any error path: the delivery ledger's
// lastError (API and CLI), the services' logs, and `postee test-send`'s output.

const SEED = 1_337
const URL_SAFE = fc.string({ unit: fc.constantFrom(...'abcdefXYZ0123456789-_.~'.split('')), minLength: 12, maxLength: 32 })
const PASSWORD = fc
  .string({ unit: fc.constantFrom(...'abcdefXYZ0123456789-_.~!&+/=:@ éß'.split('')), minLength: 10, maxLength: 32 })
  .filter((s) => s.trim() === s)
const JIRA_USER = 'bot@example.com'
// An admin token for /api: ignored while the API is open, required once it is scoped.
const ADMIN = 'derivation-admin-token'
const API = { headers: { authorization: `Bearer ${ADMIN}` } }

/** What a credential-echoing target saw: each secret it was sent, found in the request. */
function secretsIn(request: RecordedRequest): { secret: string; user: string }[] {
  const found: { secret: string; user: string }[] = []
  const authorization = String(request.headers.authorization ?? '')
  const basic = /^Basic (.+)$/i.exec(authorization)
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    found.push({ user: decoded.slice(0, colon), secret: decoded.slice(colon + 1) })
  }
  const splunk = /^Splunk (.+)$/i.exec(authorization)
  if (splunk) found.push({ user: '', secret: splunk[1]! })
  const hook = /^\/hook\/([^/?]+)/.exec(request.path)
  if (hook) found.push({ user: '', secret: decodeURIComponent(hook[1]!) })
  return found
}

/** Answers 401 and quotes every derived form of every secret it was sent, plus a 10-character prefix. */
function echoingTarget(request: RecordedRequest) {
  const echoes = secretsIn(request).flatMap(({ secret, user }) => [
    ...derivedForms(secret, user).map((form) => form.text),
    `${secret.slice(0, 10)}…`,
  ])
  return {
    status: 401,
    headers: { 'content-type': 'application/json' },
    body: { errorMessages: [`denied: ${echoes.join(' | ')}`], errors: {} },
  }
}

describe('no derived form of a secret reaches lastError, the log or the CLI (generated secrets, processes)', function () {
  this.timeout(120_000)
  const [hookKey, jiraPassword, splunkToken] = [
    fc.sample(URL_SAFE, { numRuns: 1, seed: SEED })[0]!,
    fc.sample(PASSWORD, { numRuns: 1, seed: SEED })[0]!,
    fc.sample(URL_SAFE, { numRuns: 1, seed: SEED + 1 })[0]!,
  ]
  const secrets = [
    { secret: hookKey, user: '' },
    { secret: jiraPassword, user: JIRA_USER },
    { secret: splunkToken, user: '' },
  ]
  let fake: HttpFake
  let stack: Stack

  before(async () => {
    fake = await new HttpFake(echoingTarget).start()
    const common = '  retries: 1\n  timeout: 2s\n'
    const config = `- name: hook
  type: webhook
  enable: true
  url: $HOOK_URL
${common}- name: jira
  type: jira
  enable: true
  url: ${fake.url}/jira
  user: ${JIRA_USER}
  password: $JIRA_PASSWORD
  project_key: VUL
${common}- name: hec
  type: splunk
  enable: true
  url: ${fake.url}/hec
  token: $SPLUNK_TOKEN
${common}`
    stack = await startStack({
      config,
      env: {
        HOOK_URL: `${fake.url}/hook/${hookKey}`,
        JIRA_PASSWORD: jiraPassword,
        SPLUNK_TOKEN: splunkToken,
        POSTEE_ADMIN_TOKEN: ADMIN,
        POSTEE_LOG_LEVEL: 'trace',
      },
    })
  })
  after(async () => {
    await stack?.stop()
    await fake?.stop()
  })

  it(`finds none (secrets generated with seed ${SEED})`, async () => {
    const url = stack.ingestUrls[0]!
    const posted = await fetch(`${url}/scan`, {
      method: 'POST',
      body: readFixture('aqua-input.json'),
      headers: { 'content-type': 'application/json' },
    })
    expect(posted.status).to.equal(202)
    const { id } = (await posted.json()) as { id: string }
    let deliveries: { status: string; lastError: string | null }[] = []
    for (let waited = 0; waited < 30_000; waited += 250) {
      deliveries = ((await (await fetch(`${url}/api/deliveries?scan=${id}`, API)).json()) as { deliveries: typeof deliveries }).deliveries
      if (deliveries.length === 3 && deliveries.every((d) => d.status === 'failed' || d.status === 'dead')) break
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    expect(deliveries.map((d) => d.status).sort()).to.deep.equal(['failed', 'failed', 'failed'])
    // The targets really were sent (and quoted) every secret, so finding none below means something.
    for (const { secret } of secrets)
      expect(
        fake.requests.some((r) => secretsIn(r).some((found) => found.secret === secret)),
        secret,
      ).to.equal(true)
    expect(
      deliveries.every((d) => d.lastError?.includes('<secret>')),
      JSON.stringify(deliveries),
    ).to.equal(true)

    const cli = async (argv: string[]): Promise<string> => {
      const lines: string[] = []
      const io = {
        env: { ...stack.env, HOOK_URL: `${fake.url}/hook/${hookKey}`, JIRA_PASSWORD: jiraPassword, SPLUNK_TOKEN: splunkToken },
        out: (l: string) => lines.push(l),
        err: (l: string) => lines.push(l),
      }
      await run(argv, io)
      return lines.join('\n')
    }
    const surfaces: [string, string][] = [
      ['GET /api/deliveries', await (await fetch(`${url}/api/deliveries`, API)).text()],
      ['dispatcher log', stack.dispatchers[0]!.output()],
      ['ingest log', stack.ingests[0]!.output()],
      ['postee deliveries', await cli(['deliveries', '--scan', id])],
      ['postee test-send hook', await cli(['test-send', 'hook', '--config', stack.env.AQUAALERT_CFG!])],
      ['postee test-send jira', await cli(['test-send', 'jira', '--config', stack.env.AQUAALERT_CFG!])],
      ['postee test-send hec', await cli(['test-send', 'hec', '--config', stack.env.AQUAALERT_CFG!])],
    ]
    expect(surfaces.find(([name]) => name === 'postee test-send jira')![1]).to.include('failed: auth')
    for (const [surface, text] of surfaces) {
      for (const { secret, user } of secrets) {
        for (const form of derivedForms(secret, user))
          expect(text.includes(form.text), `${surface} shows the ${form.name} form of a secret`).to.equal(false)
        expect(leakedRuns(text, secret), `${surface} shows 8+ characters of a secret`).to.deep.equal([])
      }
    }
  })
})
