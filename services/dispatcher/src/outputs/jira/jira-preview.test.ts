import { previewSuite } from '../preview-suite.testkit.js'
import { createJiraOutput } from './jira-output.js'
import { jiraIntegration, startFake } from './jira-output.testkit.js'

// Without assignee, unknowns or sprint the create body needs nothing from Jira, so the preview is
// all of it.
for (const apiVersion of [2, 3] as const) {
  previewSuite(`jira output (REST v${apiVersion})`, async () => {
    const fake = await startFake(apiVersion)
    const output = createJiraOutput(jiraIntegration(fake.url, apiVersion, ['labels: ["vulnerability"]']))
    return { output, received: () => fake.calls('POST', `/rest/api/${apiVersion}/issue`).at(-1)!.body, stop: () => fake.stop() }
  })
}
