import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { Secret } from '../secret.js'
import { DELIVERY_DEFAULTS } from './keys.js'
import { loadConfigFile, parseConfig } from './load.js'
import type { Config, Integration } from './types.js'

const ENV = {
  INGEST_A: 'ingest-a',
  ADMIN_A: 'admin-a',
  JIRA_PASSWORD: 'jira-pw',
  JIRA_PAT: 'jira-pat',
  SMTP_PASSWORD: 'smtp-pw',
  SLACK_URL: 'https://hooks.slack.com/services/T/B/X',
  SPLUNK_TOKEN: 'splunk-token',
  SN_PASSWORD: 'sn-pw',
}

function fixture(name: string): string {
  return fileURLToPath(new URL(`./testdata/${name}`, import.meta.url))
}

// Secrets compare by their revealed value; every other value as it is.
function valueAt(target: unknown, path: string): unknown {
  let value: unknown = target
  for (const part of path.split('.')) value = (value as Record<string, unknown>)[part]
  if (value instanceof Secret) return value.reveal()
  if (Array.isArray(value)) return value.map((item: unknown) => (item instanceof Secret ? item.reveal() : item))
  return value
}

function byName(config: Config, name: string): Integration {
  const found = config.integrations.find((integration) => integration.name === name)
  if (!found) throw new Error(`no integration ${name}`)
  return found
}

describe('config/load: every key of every type', () => {
  let config: Config
  before(async () => {
    config = await loadConfigFile(fixture('all-keys.yaml'), ENV)
  })

  const common: [string, unknown][] = [
    ['aquaServer', 'https://aqua.example.com'],
    ['maxDbSizeBytes', 500 * 1024 * 1024],
    ['deleteOldDataDays', 7],
    ['dbVerifyIntervalHours', 2.5],
    ['ingestTokens', ['ingest-a', 'literal-token']],
    ['adminTokens', ['admin-a', 'admin-literal']],
    ['maxBodyBytes', 5 * 1024 * 1024],
  ]
  for (const [path, expected] of common) {
    it(`common.${path}`, () => expect(valueAt(config.common, path)).to.deep.equal(expected))
  }

  const fields: [string, string, unknown][] = [
    ['jira-all', 'kind', 'jira'],
    ['jira-all', 'enabled', true],
    ['jira-all', 'url', 'https://jira.internal.example.com'],
    ['jira-all', 'user', 'bot@example.com'],
    ['jira-all', 'password', 'jira-pw'],
    ['jira-all', 'token', 'jira-pat'],
    ['jira-all', 'projectKey', 'VUL'],
    ['jira-all', 'board', 'SEC board'],
    ['jira-all', 'priority', 'Highest'],
    ['jira-all', 'assignee', '<%application_scope_owner%>'],
    ['jira-all', 'issueType', 'Bug'],
    ['jira-all', 'labels', ['security', 'scan']],
    ['jira-all', 'sprint', 'Sprint 8'],
    ['jira-all', 'apiVersion', 3],
    ['jira-all', 'tlsVerify', false],
    [
      'jira-all',
      'unknowns',
      [
        { name: 'Team', hint: 'text', value: 'platform' },
        { name: 'Points', hint: 'number', value: '5' },
        { name: 'Components', hint: 'multi-value', value: 'a,b' },
        { name: 'Notes', hint: 'multi-line-text', value: 'one\ntwo' },
        { name: 'Due', hint: 'date-time', value: '2014-04-11T12:14:26.880+0400' },
        { name: 'Docs', hint: 'url', value: 'https://docs.example.com' },
      ],
    ],
    ['jira-all', 'policy.minVulnerability', 'high'],
    ['jira-all', 'policy.registries', ['Docker Hub', 'quay*']],
    ['jira-all', 'policy.imageNames', ['alpine:*', 'nginx']],
    ['jira-all', 'policy.onlyFixAvailable', true],
    ['jira-all', 'policy.nonCompliant', true],
    ['jira-all', 'policy.showAll', false],
    ['jira-all', 'policy.ignoreRegistries', ['internal']],
    ['jira-all', 'policy.ignoreImageNames', ['busybox', 'test*']],
    ['jira-all', 'aggregation.issuesNumber', 3],
    ['jira-all', 'aggregation.timeoutMs', 5 * 60_000],
    ['jira-all', 'delivery.concurrency', 3],
    ['jira-all', 'delivery.attempts', 4],
    ['jira-all', 'delivery.backoffBaseMs', 2000],
    ['jira-all', 'delivery.backoffCapMs', 3_600_000],
    ['jira-all', 'delivery.timeoutMs', 45_000],
    ['jira-all', 'delivery.rateLimit', { max: 10, perMs: 60_000 }],
    ['email-all', 'kind', 'email'],
    ['email-all', 'useMX', false],
    ['email-all', 'user', 'alerts@example.com'],
    ['email-all', 'password', 'smtp-pw'],
    ['email-all', 'host', 'smtp.example.com'],
    ['email-all', 'port', 587],
    ['email-all', 'sender', 'noreply@example.com'],
    ['email-all', 'recipients', ['ops@example.com', '<%application_scope_owner%>']],
    ['email-all', 'tlsVerify', true],
    ['slack-all', 'kind', 'slack'],
    ['slack-all', 'url', ENV.SLACK_URL],
    ['teams-all', 'kind', 'teams'],
    ['teams-all', 'url', 'https://acme.webhook.office.com/webhookb2/abc'],
    ['teams-all', 'format', 'adaptive'],
    ['webhook-all', 'kind', 'webhook'],
    ['webhook-all', 'url', 'http://127.0.0.1:9000/hook'],
    ['splunk-all', 'kind', 'splunk'],
    ['splunk-all', 'url', 'https://splunk.example.com:8088'],
    ['splunk-all', 'token', 'splunk-token'],
    ['splunk-all', 'sizeLimit', 20000],
    ['splunk-all', 'index', 'security'],
    ['splunk-all', 'source', 'postee'],
    ['splunk-all', 'sourcetype', 'aqua:scan'],
    ['servicenow-all', 'kind', 'serviceNow'],
    ['servicenow-all', 'user', 'admin'],
    ['servicenow-all', 'password', 'sn-pw'],
    ['servicenow-all', 'instanceUrl', 'http://127.0.0.1:9001'],
    ['servicenow-all', 'table', 'problem'],
  ]
  for (const [name, path, expected] of fields) {
    it(`${name}: ${path}`, () => expect(valueAt(byName(config, name), path)).to.deep.equal(expected))
  }

  it('keeps file order and every integration', () => {
    expect(config.integrations.map((i) => i.name)).to.deep.equal([
      'jira-all',
      'email-all',
      'slack-all',
      'teams-all',
      'webhook-all',
      'splunk-all',
      'servicenow-all',
    ])
  })
})

describe('config/load: defaults', () => {
  const yaml = `
- {name: j, type: jira, url: "https://acme.atlassian.net", user: u, password: p, project_key: K}
- {name: j2, type: jira, url: "https://jira.example.com", token: t, project_key: K}
- {name: e, type: email, host: smtp, user: me@example.com, recipients: a@example.com}
- {name: s, type: slack, url: "https://hooks.slack.com/x"}
- {name: t1, type: teams, url: "https://acme.webhook.office.com/x"}
- {name: t2, type: teams, url: "https://outlook.office.com/webhook/x"}
- {name: t3, type: teams, url: "https://prod.westeurope.logic.azure.com/workflows/x"}
- {name: w, type: webhook, url: "http://localhost/x"}
- {name: sp, type: splunk, url: "http://localhost:8088", token: t}
- {name: sn, type: serviceNow, user: u, password: p, instance: acme}
- {name: sn2, type: serviceNow, user: u, password: p, instance: acme.service-now.com}
`
  const config = parseConfig(yaml, {})
  const table: [string, string, unknown][] = [
    ['j', 'enabled', false], // no `enable` key: off, as in Postee
    ['j', 'apiVersion', 3],
    ['j', 'priority', 'High'],
    ['j', 'issueType', 'Task'],
    ['j', 'labels', []],
    ['j', 'unknowns', []],
    ['j', 'tlsVerify', true],
    ['j', 'policy.minVulnerability', undefined],
    ['j', 'policy.showAll', false],
    ['j', 'aggregation', { issuesNumber: undefined, timeoutMs: undefined }],
    ['j2', 'apiVersion', 2],
    ['e', 'port', 25],
    ['e', 'useMX', false],
    ['e', 'sender', 'me@example.com'],
    ['t1', 'format', 'legacy'],
    ['t2', 'format', 'legacy'],
    ['t3', 'format', 'adaptive'],
    ['sp', 'sizeLimit', 10_000],
    ['sp', 'sourcetype', '_json'],
    ['sp', 'index', undefined],
    ['sn', 'instanceUrl', 'https://acme.service-now.com'],
    ['sn', 'table', 'incident'],
    ['sn2', 'instanceUrl', 'https://acme.service-now.com'],
  ]
  for (const [name, path, expected] of table) {
    it(`${name}: ${path}`, () => expect(valueAt(byName(config, name), path)).to.deep.equal(expected))
  }

  const kinds = { j: 'jira', e: 'email', s: 'slack', t1: 'teams', w: 'webhook', sp: 'splunk', sn: 'serviceNow' } as const
  for (const [name, kind] of Object.entries(kinds)) {
    it(`${kind}: delivery defaults`, () => expect(byName(config, name).delivery).to.deep.equal(DELIVERY_DEFAULTS[kind]))
  }

  it('documents the chosen delivery defaults', () => {
    expect(DELIVERY_DEFAULTS.slack).to.deep.include({ concurrency: 1, rateLimit: { max: 1, perMs: 1000 } })
    expect(DELIVERY_DEFAULTS.teams).to.deep.include({ concurrency: 1, rateLimit: { max: 4, perMs: 1000 } })
    expect(DELIVERY_DEFAULTS.webhook).to.deep.include({
      concurrency: 16,
      attempts: 10,
      backoffBaseMs: 1000,
      backoffCapMs: 600_000,
      timeoutMs: 30_000,
      rateLimit: undefined,
    })
    expect(DELIVERY_DEFAULTS.email.timeoutMs).to.equal(60_000)
    expect(DELIVERY_DEFAULTS.splunk.concurrency).to.equal(8)
  })

  it('uses the common defaults without a common item', () => {
    expect(config.common).to.deep.equal({
      aquaServer: undefined,
      maxDbSizeBytes: undefined,
      deleteOldDataDays: undefined,
      dbVerifyIntervalHours: 1,
      ingestTokens: [],
      adminTokens: [],
      ingestHmacSecrets: [],
      maxBodyBytes: 20 * 1024 * 1024,
    })
  })

  it('accepts an empty list', () => {
    expect(parseConfig('[]', {}).integrations).to.deep.equal([])
  })
})

describe('config/load: leniency the seed allows', () => {
  const cases: [string, string, string, unknown][] = [
    ['useMX lower-case', 'type: email\n  useMX: "True"\n  recipients: a@b.c', 'useMX', true],
    ['USEMX upper-case', 'type: email\n  USEMX: true\n  recipients: a@b.c', 'useMX', true],
    ['policy key lower-case', 'type: slack\n  url: http://x\n  policy-min-vulnerability: CRITICAL', 'policy.minVulnerability', 'critical'],
    ['type ServiceNow', 'type: ServiceNow\n  user: u\n  password: p\n  instance: acme', 'kind', 'serviceNow'],
    ['type SERVICENOW', 'type: SERVICENOW\n  user: u\n  password: p\n  instance: acme', 'kind', 'serviceNow'],
    ['Project_Key mixed case', 'type: jira\n  url: http://j\n  token: t\n  Project_Key: K', 'projectKey', 'K'],
    ['enable as text', 'type: webhook\n  url: http://x\n  enable: "FALSE"', 'enabled', false],
    ['YAML 1.1 yes, as Postee read it', 'type: webhook\n  url: http://x\n  Policy-Show-All: Yes', 'policy.showAll', true],
    ['YAML 1.1 off, as Postee read it', 'type: webhook\n  url: http://x\n  enable: off', 'enabled', false],
    ['int as text', 'type: webhook\n  url: http://x\n  concurrency: " 4 "', 'delivery.concurrency', 4],
    ['list as YAML list', 'type: webhook\n  url: http://x\n  Policy-Registry: [a, " b "]', 'policy.registries', ['a', 'b']],
    ['list as text, empties dropped', 'type: webhook\n  url: http://x\n  Policy-Registry: "a,, b ,"', 'policy.registries', ['a', 'b']],
    ['list as one value', 'type: webhook\n  url: http://x\n  Policy-Registry: 5', 'policy.registries', ['5']],
    ['bare timeout is seconds', 'type: webhook\n  url: http://x\n  Aggregate-Issues-Timeout: 90', 'aggregation.timeoutMs', 90_000],
    ['count 1 is no aggregation', 'type: webhook\n  url: http://x\n  Aggregate-Issues-Number: 1', 'aggregation.issuesNumber', undefined],
    ['rate-limit off', 'type: slack\n  url: http://x\n  rate-limit: "off"', 'delivery.rateLimit', undefined],
    [
      'jira api_version 2 on cloud',
      'type: jira\n  url: https://a.atlassian.net\n  token: t\n  project_key: K\n  api_version: 2',
      'apiVersion',
      2,
    ],
    ['teams format legacy', 'type: teams\n  url: https://x.example.com\n  format: LEGACY', 'format', 'legacy'],
    ['email with UseMX needs no host', 'type: email\n  UseMX: true\n  recipients: a@b.c', 'host', undefined],
    ['null optional key', 'type: jira\n  url: http://j\n  token: t\n  project_key: K\n  board:\n  sprint:', 'board', undefined],
    [
      'empty unknowns values skipped',
      'type: jira\n  url: http://j\n  token: t\n  project_key: K\n  unknowns:\n    a:\n    b: x',
      'unknowns',
      [{ name: 'b', hint: 'text', value: 'x' }],
    ],
    [
      '-field-url suffix',
      'type: jira\n  url: http://j\n  token: t\n  project_key: K\n  unknowns:\n    Docs-field-url: http://d',
      'unknowns',
      [{ name: 'Docs', hint: 'url', value: 'http://d' }],
    ],
  ]
  for (const [title, body, path, expected] of cases) {
    it(title, () => {
      const config = parseConfig(`- name: x\n  ${body}\n`, {})
      expect(valueAt(byName(config, 'x'), path)).to.deep.equal(expected)
    })
  }

  it('reads the common item with keys in any case and 0 meaning off', () => {
    const config = parseConfig(
      '- type: COMMON\n  aquaserver: https://a\n  max_db_size: 0\n  delete_old_data: 0\n  dbverifyinterval: "3"\n  ingest-token: "a, $T"\n',
      { T: 'b' },
    )
    expect(config.common.aquaServer).to.equal('https://a')
    expect(config.common.maxDbSizeBytes).to.equal(undefined)
    expect(config.common.deleteOldDataDays).to.equal(undefined)
    expect(config.common.dbVerifyIntervalHours).to.equal(3)
    expect(config.common.ingestTokens.map((t) => t.reveal())).to.deep.equal(['a', 'b'])
  })

  it('reads Max_DB_Size as MB when bare, as Postee did', () => {
    expect(parseConfig('- type: common\n  Max_DB_Size: 13\n', {}).common.maxDbSizeBytes).to.equal(13 * 1024 * 1024)
  })
})
