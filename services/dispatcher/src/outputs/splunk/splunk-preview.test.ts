import { parseConfig, type SplunkIntegration } from '@postee/shared'
import { HttpFake } from '@postee/testkit'
import { previewSuite } from '../preview-suite.testkit.js'
import { hecFake } from './hec-fake.testkit.js'
import { createSplunkOutput } from './splunk-output.js'

const TOKEN = '0a1b2c3d-preview-4e5f'

previewSuite('splunk output', async () => {
  const fake = await new HttpFake(hecFake({ token: TOKEN, sizeLimit: 10_000 })).start()
  const integration = parseConfig(`- name: splunk-out\n  type: splunk\n  enable: true\n  url: ${fake.url}\n  token: ${TOKEN}\n`, {})
    .integrations[0] as SplunkIntegration
  return { output: createSplunkOutput(integration), received: () => fake.requests.at(-1)!.body, stop: () => fake.stop() }
})
