import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { HttpFake, startStack, type Stack } from '@postee/testkit'

// The operator console in a real browser (Debian's chromium driven by playwright-core) against
// real ingest and dispatcher processes, Postgres and Redis; it also takes docs/console/*.png.

const CHROMIUM = '/usr/bin/chromium'
// Every run takes the screenshots; `UPDATE_SCREENSHOTS=1` writes them over docs/console/*.png
// (review them like code), otherwise they go to a temporary folder so a test run leaves the
// work tree clean.
const SCREENSHOTS =
  process.env['UPDATE_SCREENSHOTS'] === '1'
    ? fileURLToPath(new URL('../../../docs/console/', import.meta.url))
    : mkdtempSync(join(tmpdir(), 'postee-console-shots-'))
// Until scoped tokens land the ingest token guards /api; afterwards the admin token does. Both
// are set to the same value so this test holds either way.
const TOKEN = 'console-e2e-admin-token'

function aquaScan(digest: string, vulnerabilities: { name: string; severity: string; fix?: string }[], image = 'shop/cart:2.4'): string {
  return JSON.stringify({
    image,
    registry: 'registry.example.com',
    digest,
    resources: [
      {
        resource: { name: 'openssl', version: '3.0.1' },
        vulnerabilities: vulnerabilities.map((v) => ({ name: v.name, aqua_severity: v.severity, fix_version: v.fix ?? '' })),
      },
    ],
  })
}

async function postScan(url: string, body: string): Promise<{ id: string }> {
  const response = await fetch(`${url}/scan`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
  })
  expect(response.status, await response.clone().text()).to.equal(202)
  return (await response.json()) as { id: string }
}

async function apiGet<T>(url: string, path: string): Promise<T> {
  const response = await fetch(`${url}/api${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })
  expect(response.status, path).to.equal(200)
  return (await response.json()) as T
}

/** Polls until `check` returns a value, or fails with the last reason after `timeoutMs`. */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

describe('the operator console in headless Chromium (real ingest, dispatcher, Postgres, Redis)', function () {
  this.timeout(180_000)
  let fake: HttpFake
  let flakyUp = false
  let stack: Stack
  let base: string
  let profile: string
  let context: BrowserContext
  let page: Page
  const requests: string[] = []
  const consoleErrors: string[] = []
  const scanIds: string[] = []
  let expectRefusal = false

  before(async function () {
    // A webhook receiver that checks what a JSON webhook would; /flaky fails until switched.
    fake = await new HttpFake((request) => {
      if (request.method !== 'POST' || request.headers['content-type'] !== 'application/json') return { status: 415 }
      if (request.path === '/flaky' && !flakyUp) return { status: 500, body: 'receiver down' }
      return { status: 200, body: 'ok' }
    }).start()
    const config = [
      '- name: common',
      '  type: common',
      '- name: team-hook',
      '  type: webhook',
      '  enable: true',
      `  url: ${fake.url}/team`,
      '- name: flaky-hook',
      '  type: webhook',
      '  enable: true',
      `  url: ${fake.url}/flaky`,
      '  retries: 1',
      '- name: critical-only',
      '  type: slack',
      '  enable: true',
      `  url: ${fake.url}/slack`,
      '  Policy-Min-Vulnerability: critical',
      '  Policy-Registry: [nothing-matches-this]',
      '',
    ].join('\n')
    stack = await startStack({ config, env: { POSTEE_INGEST_TOKEN: TOKEN, POSTEE_ADMIN_TOKEN: TOKEN } })
    base = stack.ingestUrls[0]!
    // Two scans of one image: the second fixes CVE-A and brings CVE-C, so it has a diff.
    scanIds.push(
      (
        await postScan(
          base,
          aquaScan('sha256:1111', [
            { name: 'CVE-2026-0001', severity: 'critical', fix: '3.0.2' },
            { name: 'CVE-2026-0002', severity: 'high' },
          ]),
        )
      ).id,
    )
    scanIds.push(
      (
        await postScan(
          base,
          aquaScan('sha256:2222', [
            { name: 'CVE-2026-0002', severity: 'high' },
            { name: 'CVE-2026-0003', severity: 'medium', fix: '3.0.9' },
          ]),
        )
      ).id,
    )
    scanIds.push((await postScan(base, aquaScan('sha256:3333', [{ name: 'CVE-2026-0004', severity: 'low' }], 'shop/web:1.0'))).id)
    await until('every scan delivered to team-hook and dead for flaky-hook', async () => {
      const { deliveries } = await apiGet<{ deliveries: { output: string; status: string }[] }>(base, '/deliveries')
      const done = deliveries.filter(
        (d) => (d.output === 'team-hook' && d.status === 'sent') || (d.output === 'flaky-hook' && d.status === 'dead'),
      )
      return done.length === 6 ? true : undefined
    })

    mkdirSync(SCREENSHOTS, { recursive: true })
    profile = mkdtempSync(join(tmpdir(), 'postee-chromium-'))
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
      viewport: { width: 1280, height: 900 },
      timezoneId: 'Europe/Paris',
      locale: 'en-GB',
    })
    page = context.pages()[0] ?? (await context.newPage())
    context.on('request', (request) => requests.push(request.url()))
    page.on('console', (message) => {
      if (message.type() !== 'error') return
      // Chromium itself logs every 4xx answer to fetch; the one the sign-in form expects (a refused
      // token checked on purpose) is not an error of the console. Anything else is.
      const refusedSignIn =
        expectRefusal && /status of 40[13]/.test(message.text()) && message.location().url.endsWith('/api/console/session')
      if (!refusedSignIn) consoleErrors.push(`${message.text()} (${message.location().url})`)
    })
    page.on('pageerror', (error) => consoleErrors.push(error.message))
  })

  after(async () => {
    await context?.close()
    if (profile) rmSync(profile, { recursive: true, force: true })
    await stack?.stop()
    await fake?.stop()
  })

  it('refuses a wrong token, and signs in by keyboard with the right one', async () => {
    await page.goto(`${base}/ui/`)
    const field = page.getByLabel('Admin token', { exact: true })
    expect(await field.getAttribute('type')).to.equal('password')
    await field.fill('not-the-token')
    expectRefusal = true
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByText('That token was refused').waitFor()
    expectRefusal = false
    await page.screenshot({ path: join(SCREENSHOTS, 'sign-in.png') })
    await field.fill(TOKEN)
    await field.press('Enter')
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor()
    expect(page.url()).to.equal(`${base}/ui/`)
    expect(page.url()).not.to.contain(TOKEN)
  })

  it('shows the posted scans and each output on the overview, with the chart', async () => {
    await page.getByTestId('scans-total').filter({ hasText: '3' }).waitFor()
    await page.locator('.chart canvas').first().waitFor()
    const flaky = page.locator('tr[data-output="flaky-hook"]')
    await flaky.waitFor()
    expect(await flaky.textContent()).to.contain('HTTP 500')
    await page.screenshot({ path: join(SCREENSHOTS, 'overview.png'), fullPage: true })
  })

  it('finds the scans in Scans, with search', async () => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Scans' }).click()
    await page.getByRole('heading', { name: 'Scans', level: 1 }).waitFor()
    await page.locator(`tr[data-scan="${scanIds[1]}"]`).waitFor()
    expect(await page.locator('tbody tr[data-scan]').count()).to.equal(3)
    await page.getByLabel('Outcome').selectOption('changed')
    await page.getByRole('button', { name: 'Search' }).click()
    await page.waitForURL(/outcome=changed/)
    await until('one changed scan', async () => ((await page.locator('tbody tr[data-scan]').count()) === 1 ? true : undefined))
    await page.screenshot({ path: join(SCREENSHOTS, 'scans.png'), fullPage: true })
  })

  it("shows a scan's diff, a delivery per output and why each integration sent or skipped it", async () => {
    await page.locator(`tr[data-scan="${scanIds[1]}"] a`).click()
    await page.getByRole('heading', { name: 'Changes since the previous scan: 1 new, 1 fixed' }).waitFor()
    expect(await page.getByRole('table', { name: 'New findings' }).textContent()).to.contain('CVE-2026-0003')
    expect(await page.getByRole('table', { name: 'Fixed findings' }).textContent()).to.contain('CVE-2026-0001')
    const deliveries = page.getByRole('table', { name: 'Deliveries' })
    expect(await deliveries.locator('tr[data-output="team-hook"]').textContent()).to.contain('sent')
    expect(await deliveries.locator('tr[data-output="flaky-hook"]').textContent()).to.contain('dead')
    const skipped = await page.locator('li[data-integration="critical-only"]').textContent()
    expect(skipped).to.match(/SKIP critical-only/)
    expect(skipped).to.contain('Policy-Min-Vulnerability')
    const team = page.locator('li[data-integration="team-hook"]')
    await team.getByText('Preview of the message to team-hook').click()
    expect(await team.locator('pre').textContent()).to.contain('CVE-2026-0003')
    await page.getByLabel('Fix available only').check()
    expect(await page.getByRole('table', { name: 'Findings shown: 1' }).textContent()).to.contain('3.0.9')
    await page.screenshot({ path: join(SCREENSHOTS, 'scan-detail.png'), fullPage: true })
  })

  it('lists dead letters with their error; Replay sends one, a selection, then all of an output, and the rows turn sent', async () => {
    await page.goto(`${base}/ui/deliveries?status=dead`)
    // A full load forgets the in-memory token: sign in again, as an operator would.
    await page.getByLabel('Admin token', { exact: true }).fill(TOKEN)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { name: 'Deliveries', level: 1 }).waitFor()
    const rows = page.locator('tbody tr[data-delivery]')
    await until('three dead letters', async () => ((await rows.count()) === 3 ? true : undefined))
    expect(await rows.first().textContent()).to.contain('HTTP 500')
    await page.screenshot({ path: join(SCREENSHOTS, 'dead-letters.png'), fullPage: true })

    flakyUp = true
    await page.getByLabel('Output').selectOption('flaky-hook')
    await page.getByLabel('Status').selectOption('')
    await page.waitForURL((url) => url.search === '?output=flaky-hook')
    const first = page.locator('tbody tr[data-delivery]').first()
    const firstId = await first.getAttribute('data-delivery')
    await first.getByRole('button', { name: /^Replay the flaky-hook delivery/ }).click()
    const dialog = page.getByRole('dialog', { name: 'Replay this flaky-hook delivery?' })
    await dialog.waitFor()
    await dialog.getByRole('button', { name: 'Replay' }).click()
    // No reload here: the page refreshes itself while the replayed delivery is in flight.
    await page.locator(`tr[data-delivery="${firstId}"][data-status="sent"]`).waitFor({ timeout: 30_000 })
    expect(await page.locator('tbody tr[data-status="dead"]').count()).to.equal(2)

    const second = page.locator('tbody tr[data-status="dead"]').first()
    const secondId = await second.getAttribute('data-delivery')
    await second.getByRole('checkbox').check()
    await page.getByRole('button', { name: 'Replay selected (1)' }).click()
    await page.getByRole('dialog', { name: 'Replay 1 selected delivery?' }).getByRole('button', { name: 'Replay' }).click()
    await page.locator(`tr[data-delivery="${secondId}"][data-status="sent"]`).waitFor({ timeout: 30_000 })
    expect(await page.locator('tbody tr[data-status="dead"]').count()).to.equal(1)

    await page.getByRole('button', { name: 'Replay all dead letters of flaky-hook' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Replay' }).click()
    await until('every flaky-hook row sent', async () =>
      (await page.locator('tbody tr[data-status="sent"]').count()) === 3 ? true : undefined,
    )
    await page.screenshot({ path: join(SCREENSHOTS, 'deliveries.png'), fullPage: true })
    const { deliveries } = await apiGet<{ deliveries: { status: string }[] }>(base, '/deliveries?output=flaky-hook')
    expect(deliveries.map((d) => d.status)).to.deep.equal(['sent', 'sent', 'sent'])
    // One failed attempt each (retries: 1), then one successful send each: nothing sent twice.
    expect(fake.requests.filter((r) => r.path === '/flaky')).to.have.length(6)
  })

  // A deep link is a full load, which forgets the in-memory token: sign in, then the link's page shows.
  async function openDeepLink(path: string): Promise<void> {
    await page.goto(`${base}${path}`)
    await page.getByLabel('Admin token', { exact: true }).fill(TOKEN)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { level: 1 }).first().waitFor()
    expect(page.url()).to.equal(`${base}${path}`)
  }

  it('lists open findings per image, the one a changed rescan fixed under state=fixed, and loads more with the cursor', async () => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Findings' }).click()
    const table = page.getByRole('table', { name: 'Findings per image, in the order they were first recorded' })
    await table.waitFor()
    // Search by keyboard: the filters land in the URL, so the result is a deep link.
    await page.getByLabel('State').selectOption('open')
    await page.getByLabel('Image', { exact: true }).fill('shop/cart:2.4')
    await page.getByLabel('Image', { exact: true }).press('Enter')
    await page.waitForURL(/\/ui\/findings\?image=shop%2Fcart%3A2\.4&state=open$/)
    await page.getByText('2 findings shown (2 open, 0 fixed).').waitFor()
    const open = await table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-finding')))
    expect(open).to.deep.equal(['CVE-2026-0002', 'CVE-2026-0003'])
    const fixable = table.locator('tr[data-finding="CVE-2026-0003"]')
    expect(await fixable.textContent()).to.contain('3.0.9')
    expect(await fixable.textContent()).to.contain('openssl')
    // The second scan of shop/cart:2.4 no longer held CVE-2026-0001: fixed, with a time in Paris.
    await openDeepLink('/ui/findings?state=fixed')
    await page.getByText('1 finding shown (0 open, 1 fixed).').waitFor()
    const fixed = table.locator('tbody tr')
    expect(await fixed.getAttribute('data-finding')).to.equal('CVE-2026-0001')
    expect(await fixed.getAttribute('data-state')).to.equal('fixed')
    const api = await apiGet<{ findings: { vulnerability: string; fixedAt: string }[] }>(base, '/findings?state=fixed')
    const fixedAt = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'Europe/Paris' }).format(
      new Date(api.findings[0]!.fixedAt),
    )
    expect(await fixed.textContent()).to.contain(fixedAt)
    // A filter nothing matches says what to do.
    await openDeepLink('/ui/findings?vulnerability=CVE-1999-0000')
    await page.getByText('No finding matches these filters.').waitFor()
    // Load more: pages of one finding, following the cursor until the last.
    await openDeepLink('/ui/findings?image=shop%2Fcart%3A2.4&limit=1')
    await page.getByText('1 finding shown (0 open, 1 fixed); more with "Load more".').waitFor()
    const loadMore = page.getByRole('button', { name: 'Load more' })
    await loadMore.focus()
    await page.keyboard.press('Enter')
    await page.getByText('2 findings shown').waitFor()
    await loadMore.click()
    await page.getByText('3 findings shown (2 open, 1 fixed).').waitFor()
    expect(await loadMore.count()).to.equal(0)
    await openDeepLink('/ui/findings')
    await table.waitFor()
    await page.screenshot({ path: join(SCREENSHOTS, 'findings.png'), fullPage: true })
  })

  it('shows the running config with every secret masked, and reloads it', async () => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Configuration' }).click()
    const json = page.getByTestId('config-json')
    await json.waitFor()
    const text = (await json.textContent())!
    expect(text).to.contain('flaky-hook')
    expect(text).to.contain('<secret>')
    expect(text).not.to.contain(fake.url)
    expect(text).not.to.contain(TOKEN)
    await page.getByText('cfg.yaml on disk is valid.').waitFor()
    await page.getByRole('button', { name: 'Reload' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Reload' }).click()
    await page.getByText('The configuration was reloaded').waitFor()
    await page.screenshot({ path: join(SCREENSHOTS, 'config.png'), fullPage: true })
  })

  it('shows scan text without its bidirectional overrides, so an image name cannot be made to read backwards', async () => {
    // U+202E would show `evil<RLO>gnp.exe:1` as `evil1:exe.png`; U+2028 would break the line.
    const spoofed = await postScan(
      base,
      aquaScan('sha256:3333', [{ name: 'CVE-2026-0009', severity: 'low' }], 'evil\u202egnp.exe\u2028x\u2066:1'),
    )
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Scans' }).click()
    const link = page.locator(`tr[data-scan="${spoofed.id}"] a`)
    await link.waitFor()
    expect(await link.innerText()).to.equal('evilgnp.exe x:1')
  })

  it('is readable on a 390 px phone screen without sideways scrolling of the page', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Overview' }).click()
    await page.getByTestId('scans-total').waitFor()
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')
    expect(overflow).to.be.at.most(0)
    await page.screenshot({ path: join(SCREENSHOTS, 'overview-phone.png'), fullPage: true })
    // Every page with a wide table: only the table scrolls sideways, never the page (a hidden
    // column label positioned outside its scroll box once widened the whole Deliveries page).
    for (const [link, ready] of [
      ['Scans', 'table'],
      ['Deliveries', 'table'],
      ['Findings', 'table'],
    ] as const) {
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: link }).click()
      await page.locator(ready).first().waitFor()
      const pageOverflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')
      expect(pageOverflow, `${link} at 390 px`).to.be.at.most(0)
    }
    await page.setViewportSize({ width: 1280, height: 900 })
  })

  it('signs out, forgetting the token', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByLabel('Admin token', { exact: true }).waitFor()
    const stored = await page.evaluate('JSON.stringify([localStorage.length, sessionStorage.length, document.cookie])')
    expect(stored).to.equal('[0,0,""]')
  })

  it('made no request to another origin and logged no console error', () => {
    const origin = new URL(base).origin
    const elsewhere = requests.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:'))
    expect(elsewhere).to.deep.equal([])
    expect(requests.some((url) => url.startsWith(`${origin}/api/`))).to.equal(true)
    expect(consoleErrors).to.deep.equal([])
  })
})
