/**
 * Golden files: every renderer on every case of cases.test.ts, compared exactly with
 * `golden/<renderer>/<case>.<ext>`. After an intended change, rewrite them with
 * `UPDATE_GOLDEN=1 pnpm exec mocha packages/shared/src/render/` and review the diff like code.
 * The Jira wiki file holds the summary on its first line, a blank line, then the description;
 * JSON outputs are pretty-printed with two spaces.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { expect } from 'chai'
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
const UPDATE = process.env['UPDATE_GOLDEN'] === '1'

function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n'
}

/** Every renderer as a function from reports to the exact text stored in its golden file. */
export const GOLDEN_RENDERERS: readonly { readonly name: string; readonly ext: string; readonly render: (reports: readonly Report[]) => string }[] = [
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
          const file = new URL(`${renderer.name}/${testCase.name}.${renderer.ext}`, GOLDEN)
          const actual = renderer.render(testCase.reports)
          if (UPDATE) {
            mkdirSync(new URL(`${renderer.name}/`, GOLDEN), { recursive: true })
            writeFileSync(file, actual)
          }
          expect(existsSync(file), `missing golden file ${file.pathname}; run with UPDATE_GOLDEN=1`).to.equal(true)
          // A plain equality check: chai's diff of a 100 KB string helps nobody, the git diff does.
          const same = readFileSync(file, 'utf8') === actual
          expect(same, `${file.pathname} differs; rerun with UPDATE_GOLDEN=1 and review the diff`).to.equal(true)
        })
      }
    })
  }

  it('gives the HTML subject the report title', () => {
    for (const testCase of renderCases()) expect(renderHtml(testCase.reports).subject).to.equal(batchTitle(testCase.reports))
  })
})
