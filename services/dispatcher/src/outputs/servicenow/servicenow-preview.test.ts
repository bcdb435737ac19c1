import { parseConfig, type ServiceNowIntegration } from '@postee/shared'
import { HttpFake } from '@postee/testkit'
import { previewSuite } from '../preview-suite.testkit.js'
import { createServiceNowOutput } from './servicenow-output.js'
import { TableApiFake } from './table-api-fake.testkit.js'

const USER = 'postee.preview'
const PASSWORD = 'sn-preview-p4ss'

previewSuite('serviceNow output', async () => {
  const fake = await new HttpFake(new TableApiFake(USER, PASSWORD).handler).start()
  const text = `- name: sn\n  type: serviceNow\n  enable: true\n  instance: ${fake.url}\n  user: ${USER}\n  password: ${PASSWORD}\n`
  const integration = parseConfig(text, {}).integrations[0] as ServiceNowIntegration
  // The search for the correlation id comes first; the create is the last request.
  return {
    output: createServiceNowOutput(integration),
    received: () => fake.requests.filter((r) => r.method === 'POST').at(-1)!.body,
    stop: () => fake.stop(),
  }
})
