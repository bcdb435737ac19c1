import { expect } from 'chai'
import { parseConfig, type WebhookIntegration } from '@postee/shared'
import { HttpFake, batchOf, fixtureItem } from '@postee/testkit'
import { previewSuite } from '../preview-suite.testkit.js'
import { createWebhookOutput } from './webhook-output.js'

function integration(url: string): WebhookIntegration {
  return parseConfig(`- name: hook\n  type: webhook\n  enable: true\n  url: ${url}/hook/s3cret\n`, {}).integrations[0] as WebhookIntegration
}

previewSuite('webhook output', async () => {
  const fake = await new HttpFake(() => ({ status: 200, body: 'ok' })).start()
  return { output: createWebhookOutput(integration(fake.url)), received: () => fake.requests.at(-1)!.body, stop: () => fake.stop() }
})

describe('webhook output: preview of an aggregated batch', () => {
  it('is the JSON array of the original payloads, with no limit', () => {
    const batch = batchOf([fixtureItem('aqua-input.json', { n: 1 }), fixtureItem('trivy-input.json', { n: 2 })])
    const preview = createWebhookOutput(integration('http://127.0.0.1:9')).preview({ aquaServer: undefined }, batch)
    expect(JSON.parse(preview.body)).to.have.length(2)
    expect(preview.parts).to.deep.equal([{ name: 'body', size: Buffer.byteLength(preview.body), limit: undefined, unit: 'bytes' }])
  })
})
