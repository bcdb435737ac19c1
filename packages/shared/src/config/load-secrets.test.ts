import { inspect } from 'node:util'
import { expect } from 'chai'
import { Secret } from '../secret.js'
import { ConfigError } from './config-error.js'
import { parseConfig } from './load.js'
import type { ConfigProblem, JiraIntegration } from './types.js'

const SECRETS = {
  JIRA_PW: 'jira-pw-s3cr3t',
  PAT: 'pat-s3cr3t',
  SLACK: 'https://hooks.slack.com/services/T0/B0/slack-s3cr3t',
  TEAMS: 'https://acme.webhook.office.com/teams-s3cr3t',
  HOOK: 'https://hooks.example.com/hook-s3cr3t',
  SPLUNK: 'splunk-s3cr3t',
  SN: 'sn-s3cr3t',
  SMTP: 'smtp-s3cr3t',
  TOKEN_A: 'ingest-a-s3cr3t',
  USER: 'bot@example.com',
}

const YAML = `
- type: common
  Ingest-Token: [$TOKEN_A, "\${TOKEN_A}"]
- {name: jira, enable: true, type: jira, url: "https://j.example.com", user: $USER, password: "\${JIRA_PW}", token: $PAT, project_key: K}
- {name: slack, enable: true, type: slack, url: $SLACK}
- {name: teams, enable: true, type: teams, url: "\${TEAMS}"}
- {name: hook, enable: true, type: webhook, url: $HOOK}
- {name: splunk, enable: true, type: splunk, url: "https://s.example.com", token: $SPLUNK}
- {name: sn, enable: true, type: serviceNow, user: u, password: $SN, instance: acme}
- {name: mail, enable: true, type: email, host: h, password: $SMTP, recipients: a@b.c}
`

function problemsOf(yaml: string, env: NodeJS.ProcessEnv): readonly ConfigProblem[] {
  try {
    parseConfig(yaml, env)
  } catch (error) {
    return (error as ConfigError).problems
  }
  throw new Error('expected a ConfigError')
}

describe('config/load: secrets', () => {
  const config = parseConfig(YAML, SECRETS)

  it('substitutes $VAR and ${VAR} and makes secrets of secret keys', () => {
    const jira = config.integrations[0] as JiraIntegration
    expect(jira.user).to.equal(SECRETS.USER)
    expect(jira.password?.reveal()).to.equal(SECRETS.JIRA_PW)
    expect(jira.token?.reveal()).to.equal(SECRETS.PAT)
    const urls = config.integrations.slice(1, 4).map((i) => ('url' in i && i.url instanceof Secret ? i.url.reveal() : undefined))
    expect(urls).to.deep.equal([SECRETS.SLACK, SECRETS.TEAMS, SECRETS.HOOK])
    expect(config.common.ingestTokens.map((t) => t.reveal())).to.deep.equal([SECRETS.TOKEN_A, SECRETS.TOKEN_A])
  })

  const printers: [string, (value: unknown) => string][] = [
    ['String()', (value) => String(value)],
    ['JSON.stringify', (value) => JSON.stringify(value)],
    ['util.inspect', (value) => inspect(value, { depth: null })],
  ]
  for (const [title, print] of printers) {
    it(`never shows a secret value in ${title}`, () => {
      const text = print(config)
      for (const [name, value] of Object.entries(SECRETS)) {
        if (name !== 'USER') expect(text).to.not.include(value)
      }
    })
  }

  it('substitutes only a whole value, leaving other dollars alone', () => {
    const hook = parseConfig('- {name: h, enable: true, type: webhook, url: "http://x/a$b", Policy-Image-Name: "$Optional thing"}\n', {})
    expect(hook.integrations[0]?.policy.imageNames).to.deep.equal(['$Optional thing'])
  })

  it('reports a missing variable with the item, the key and the variable', () => {
    const problems = problemsOf(YAML, { ...SECRETS, SPLUNK: undefined, JIRA_PW: undefined })
    expect(problems.map((p) => `${p.item} › ${p.key}`)).to.deep.equal(['jira › password', 'splunk › token'])
    expect(problems[0]?.message).to.match(/environment variable JIRA_PW is not set/)
    expect(problems[1]?.message).to.match(/environment variable SPLUNK is not set/)
  })

  it('reports an empty variable for a required key without a second problem', () => {
    const problems = problemsOf('- {name: s, enable: true, type: splunk, url: "http://s", token: $T}\n', { T: '' })
    expect(problems).to.deep.equal([
      {
        item: 's',
        key: 'token',
        line: 1,
        message: 'environment variable T is empty; write the HTTP Event Collector token (or $VAR to read it from the environment)',
      },
    ])
  })

  it('never echoes a secret or a substituted value in a problem', () => {
    const yaml = `
- {name: slack, enable: true, type: slack, url: "slack-s3cr3t-not-a-url"}
- {name: hook, enable: true, type: webhook, url: $HOOK}
- {name: j, enable: true, type: jira, url: $J, token: t, project_key: K, concurrency: $C}
`
    let message = ''
    try {
      parseConfig(yaml, { HOOK: 'hook-s3cr3t', J: 'jira-s3cr3t', C: 'conc-s3cr3t' })
    } catch (error) {
      message = (error as ConfigError).message
      expect((error as ConfigError).problems).to.have.length(4)
    }
    expect(message).to.match(/slack › url: the value is not an http\(s\) URL/)
    expect(message).to.match(/hook › url: the value of \$HOOK is not an http\(s\) URL/)
    expect(message).to.match(/j › concurrency: the value of \$C is not a whole number/)
    expect(message).to.not.match(/s3cr3t/)
  })
})
