import { parseConfig, type SlackIntegration } from '@postee/shared'
import { HttpFake } from '@postee/testkit'
import { previewSuite } from '../preview-suite.testkit.js'
import { slackWebhook } from './slack-fake.testkit.js'
import { createSlackOutput } from './slack-output.js'

const PATH = '/services/T0000000/B0000000/XXXXpreviewXXXX'

previewSuite('slack output', async () => {
  const fake = await new HttpFake(slackWebhook(PATH)).start()
  const integration = parseConfig(`- name: chat\n  type: slack\n  enable: true\n  url: ${fake.url}${PATH}\n`, {})
    .integrations[0] as SlackIntegration
  return { output: createSlackOutput(integration), received: () => fake.requests.at(-1)!.body, stop: () => fake.stop() }
})
