import { parseConfig, type TeamsIntegration } from '@postee/shared'
import { HttpFake } from '@postee/testkit'
import { previewSuite } from '../preview-suite.testkit.js'
import { connectorWebhook, workflowsWebhook } from './teams-fake.testkit.js'
import { createTeamsOutput } from './teams-output.js'

const FORMATS = {
  adaptive: { path: '/workflows/0f1e2d/triggers/manual/paths/invoke?api-version=2016-06-01&sig=XXXXpreviewXXXX', fake: workflowsWebhook },
  legacy: { path: '/webhookb2/0000-1111@2222/IncomingWebhook/XXXXpreviewXXXX/3333', fake: connectorWebhook },
} as const

for (const format of ['adaptive', 'legacy'] as const) {
  previewSuite(`teams output (${format})`, async () => {
    const { path, fake: handler } = FORMATS[format]
    const fake = await new HttpFake(handler(path)).start()
    const text = `- name: teams-out\n  type: teams\n  enable: true\n  format: ${format}\n  url: "${fake.url}${path}"\n`
    const integration = parseConfig(text, {}).integrations[0] as TeamsIntegration
    return { output: createTeamsOutput(integration), received: () => fake.requests.at(-1)!.body, stop: () => fake.stop() }
  })
}
