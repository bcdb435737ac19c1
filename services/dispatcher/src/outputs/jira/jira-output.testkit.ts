import { expect } from 'chai'
import { DeliveryError, parseConfig, type DeliveryContext, type JiraIntegration } from '@postee/shared'
import { FakeJira, type FakeJiraOptions } from './jira-fake.testkit.js'

/** What every Jira output test shares: credentials, an integration on the fake, a started fake. */
export const PASSWORD = 'jira-api-t0ken-value'
export const PAT = 'jira-personal-access-t0ken'
export const BASIC = `Basic ${Buffer.from(`bot@example.com:${PASSWORD}`).toString('base64')}`

/** A parsed jira integration pointing at the fake, with extra cfg.yaml lines (two-space indented). */
export function jiraIntegration(
  url: string,
  apiVersion: 2 | 3,
  extra: readonly string[] = [],
  auth: 'basic' | 'bearer' = 'basic',
): JiraIntegration {
  const credentials = auth === 'basic' ? [`user: bot@example.com`, `password: ${PASSWORD}`] : [`token: ${PAT}`]
  const lines = ['type: jira', `url: ${url}`, ...credentials, 'project_key: VUL', `api_version: ${apiVersion}`, ...extra]
  const config = parseConfig(`- name: jira-out\n  enable: true\n${lines.map((l) => `  ${l}`).join('\n')}\n`, {})
  return config.integrations[0] as JiraIntegration
}

/** A started fake of the deployment that goes with the API version. */
export async function startFake(apiVersion: 2 | 3, options: Partial<FakeJiraOptions> = {}): Promise<FakeJira> {
  return new FakeJira({ deployment: apiVersion === 3 ? 'cloud' : 'server', authorization: BASIC, ...options }).start()
}

/** A delivery context with a fresh timeout. */
export function context(timeoutMs = 10_000): DeliveryContext {
  return { signal: AbortSignal.timeout(timeoutMs), timeoutMs, aquaServer: 'https://aqua.example.com' }
}

/** Sends and returns the error it throws. */
export async function failure(send: Promise<unknown>): Promise<DeliveryError> {
  try {
    await send
  } catch (error) {
    expect(error).to.be.instanceOf(DeliveryError)
    return error as DeliveryError
  }
  throw new Error('expected the send to fail')
}
