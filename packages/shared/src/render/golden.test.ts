/**
 * Golden files: every renderer on every case of cases.testkit.ts, compared exactly with
 * `golden/<renderer>/<case>.<ext>`. These are the only goldens of the renderers' output: the
 * output tests assert that what they send equals the renderer's result instead of storing it
 * again. After an intended change, run the render tests once with `UPDATE_GOLDEN=1` (they fail,
 * naming every rewritten file; refused under CI), review the git diff like code, and run again.
 * The Jira wiki file holds the summary on its first line, a blank line, then the description;
 * JSON outputs are pretty-printed with two spaces.
 */
import { createHash } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { expectGolden } from '@postee/testkit'
import { renderCases } from './cases.testkit.js'
import { renderHtml } from './html.js'
import { renderJiraAdf } from './jira-adf.js'
import { renderJiraWiki } from './jira-wiki.js'
import { batchTitle } from './report.js'
import type { Report } from './report.js'
import { renderSlack } from './slack.js'
import { renderSplunkEvent } from './splunk.js'
import { renderTeams } from './teams.js'
import { renderText } from './text.js'

const GOLDEN = new URL('./golden/', import.meta.url)

function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n'
}

/** Every renderer as a function from reports to the exact text stored in its golden file. */
const GOLDEN_RENDERERS: readonly {
  readonly name: string
  readonly ext: string
  readonly render: (reports: readonly Report[]) => string
}[] = [
  { name: 'html', ext: 'html', render: (reports) => renderHtml(reports).html },
  { name: 'text', ext: 'txt', render: (reports) => renderText(reports) },
  {
    name: 'jira-wiki',
    ext: 'txt',
    render: (reports) => {
      const issue = renderJiraWiki(reports)
      return `${issue.summary}\n\n${issue.description}`
    },
  },
  { name: 'jira-adf', ext: 'json', render: (reports) => json(renderJiraAdf(reports)) },
  { name: 'slack', ext: 'json', render: (reports) => json(renderSlack(reports)) },
  { name: 'teams-adaptive', ext: 'json', render: (reports) => json(renderTeams(reports, { format: 'adaptive' })) },
  { name: 'teams-legacy', ext: 'json', render: (reports) => json(renderTeams(reports, { format: 'legacy' })) },
  { name: 'splunk', ext: 'json', render: (reports) => json(renderSplunkEvent(reports)) },
]

describe('render golden files', () => {
  for (const renderer of GOLDEN_RENDERERS) {
    describe(renderer.name, () => {
      for (const testCase of renderCases()) {
        it(testCase.name, () => {
          expectGolden(new URL(`${renderer.name}/${testCase.name}.${renderer.ext}`, GOLDEN), renderer.render(testCase.reports))
        })
      }
    })
  }

  it('no two golden files of the repository hold the same bytes', () => {
    // One golden per rendering: an output that sends a renderer's result asserts equality with it
    // instead of storing a copy, so a renderer change is reviewed in one place.
    const root = fileURLToPath(new URL('../../../../', import.meta.url))
    const owners = new Map<string, string>()
    const duplicates: string[] = []
    for (const top of ['packages', 'services']) {
      for (const entry of readdirSync(join(root, top), { recursive: true, encoding: 'utf8' })) {
        if (!entry.includes('/golden/') || entry.includes('node_modules') || entry.includes('/dist/')) continue
        const path = join(root, top, entry)
        let bytes: Buffer
        try {
          bytes = readFileSync(path)
        } catch {
          continue // a folder
        }
        const sum = createHash('sha256').update(bytes).digest('hex')
        const first = owners.get(sum)
        if (first) duplicates.push(`${join(top, entry)} = ${first}`)
        else owners.set(sum, join(top, entry))
      }
    }
    expect(owners.size, 'no golden file found: the walk is wrong').to.be.greaterThan(100)
    expect(duplicates).to.deep.equal([])
  })

  it('gives the HTML subject the report title', () => {
    for (const testCase of renderCases()) expect(renderHtml(testCase.reports).subject).to.equal(batchTitle(testCase.reports))
  })
})
