import { expect } from 'chai'
import {
  INGEST_ENTRY,
  freePort,
  readFixture,
  startProcess,
  startStack,
  waitForHttp,
  writeConfig,
  type ServiceProcess,
  type Stack,
} from '@postee/testkit'

const INGEST = 'ci-ingest-token-1'
const ENV_ADMINS = ['ops-admin-old', 'ops-admin-new']
const CFG_ADMIN = 'ops-admin-from-cfg'

const HOOK = '- name: hook\n  type: webhook\n  enable: true\n  url: http://127.0.0.1:9/hook\n'
const CONFIG = `- type: common\n  Ingest-Token: ${INGEST}\n  Admin-Token: [$CFG_ADMIN]\n${HOOK}`

type Call = (token: string | undefined, form?: 'bearer' | 'header' | 'query') => Promise<{ status: number; error?: string }>

function caller(method: string, url: () => string, body?: string): Call {
  return async (token, form = 'bearer') => {
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    let target = url()
    if (token !== undefined && form === 'bearer') headers.authorization = `Bearer ${token}`
    if (token !== undefined && form === 'header') headers['x-postee-token'] = token
    if (token !== undefined && form === 'query') target += `${target.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`
    const response = await fetch(target, { method, headers, ...(body !== undefined ? { body } : {}) })
    const text = await response.text()
    return { status: response.status, ...(text.startsWith('{') ? { error: (JSON.parse(text) as { error?: string }).error } : {}) }
  }
}

describe('scoped tokens: scan senders post scans, operators use an admin token (processes)', function () {
  this.timeout(90_000)
  let stack: Stack
  let ingest: string
  let dispatcher: string

  before(async () => {
    stack = await startStack({ config: CONFIG, env: { POSTEE_ADMIN_TOKEN: ENV_ADMINS.join(','), CFG_ADMIN } })
    ingest = stack.ingestUrls[0]!
    dispatcher = stack.dispatcherUrls[0]!
  })
  after(async () => stack?.stop())

  const adminRoutes: [string, Call][] = [
    ['GET /api/deliveries', caller('GET', () => `${ingest}/api/deliveries`)],
    ['GET /api/scans/:id', caller('GET', () => `${ingest}/api/scans/00000000-0000-0000-0000-000000000000`)],
    ['POST /api/deliveries/replay', caller('POST', () => `${ingest}/api/deliveries/replay`, '{"all":true}')],
    ['POST /api/reload (ingest)', caller('POST', () => `${ingest}/api/reload`)],
    ['POST /reload (dispatcher)', caller('POST', () => `${dispatcher}/reload`)],
  ]

  it('the ingest token posts scans in each of its three forms', async () => {
    const scan = caller('POST', () => `${ingest}/scan`, readFixture('aqua-input.json').toString('utf8'))
    for (const form of ['bearer', 'header', 'query'] as const) expect((await scan(INGEST, form)).status, form).to.equal(202)
    expect((await scan(ENV_ADMINS[0], 'bearer')).status, 'an admin token is not a scan token').to.equal(401)
  })

  for (const [route, call] of adminRoutes) {
    it(`${route}: the ingest token gets 403, no or a wrong token 401`, async () => {
      for (const form of ['bearer', 'header'] as const) {
        const refused = await call(INGEST, form)
        expect(refused.status, form).to.equal(403)
        expect(refused.error).to.match(/ingest token.*only post scans.*admin token/)
      }
      expect((await call(undefined)).status).to.equal(401)
      expect((await call('not-a-token')).status).to.equal(401)
    })

    it(`${route}: every admin token (env rotation list and cfg.yaml) passes as Bearer and as X-Postee-Token, never as ?token=`, async () => {
      for (const token of [...ENV_ADMINS, CFG_ADMIN]) {
        for (const form of ['bearer', 'header'] as const) {
          const answer = await call(token, form)
          expect(answer.status, `${token} as ${form}: ${answer.error}`).to.be.oneOf([200, 404])
        }
      }
      expect((await call(ENV_ADMINS[1], 'query')).status).to.equal(401)
    })
  }

  it('leaves the probes open on both services', async () => {
    for (const url of [
      `${ingest}/ping`,
      `${ingest}/healthz`,
      `${ingest}/readyz`,
      `${ingest}/metrics`,
      `${dispatcher}/healthz`,
      `${dispatcher}/readyz`,
      `${dispatcher}/metrics`,
    ]) {
      expect((await fetch(url)).status, url).to.equal(200)
    }
  })

  describe('with no admin token configured', () => {
    let closed: ServiceProcess
    let closedDispatcher: ServiceProcess
    let url: string
    let dispatcherUrl: string
    before(async () => {
      const env = { ...stack.env, AQUAALERT_CFG: writeConfig(`- type: common\n  Ingest-Token: ${INGEST}\n${HOOK}`), POSTEE_ADMIN_TOKEN: '' }
      const port = await freePort()
      url = `http://127.0.0.1:${port}`
      closed = startProcess(INGEST_ENTRY, { ...env, AQUAALERT_URL: `127.0.0.1:${port}`, POSTEE_MIGRATE: 'off' })
      await waitForHttp(`${url}/readyz`, closed)
      closedDispatcher = await stack.startDispatcher({ AQUAALERT_CFG: env.AQUAALERT_CFG, POSTEE_ADMIN_TOKEN: '' })
      dispatcherUrl = stack.dispatcherUrls.at(-1)!
    })
    after(async () => {
      await closed?.stop()
      await closedDispatcher?.stop()
    })

    it('the API and reload are closed (403 saying how to open them), not open; scans still pass with the ingest token', async () => {
      const calls: Call[] = [
        caller('GET', () => `${url}/api/deliveries`),
        caller('POST', () => `${url}/api/reload`),
        caller('POST', () => `${dispatcherUrl}/reload`),
      ]
      for (const call of calls) {
        for (const token of [undefined, INGEST, 'anything']) {
          const answer = await call(token)
          expect(answer.status).to.equal(403)
          expect(answer.error).to.match(/closed.*POSTEE_ADMIN_TOKEN.*Admin-Token/)
        }
      }
      expect((await caller('POST', () => `${url}/scan`, readFixture('aqua-input.json').toString('utf8'))(INGEST)).status).to.equal(202)
    })

    it('both services warn at start how to open it', () => {
      expect(closed.output()).to.match(/no admin token is configured.*closed.*POSTEE_ADMIN_TOKEN/)
      expect(closedDispatcher.output()).to.match(/no admin token is configured.*closed.*POSTEE_ADMIN_TOKEN/)
      expect(stack.ingests[0]!.output()).to.not.match(/no admin token is configured/)
    })
  })
})
