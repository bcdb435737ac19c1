import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { ConfigError } from './config-error.js'
import { loadConfigFile } from './load.js'
import type { JiraIntegration } from './types.js'

const SEED_JIRA = fileURLToPath(new URL('./testdata/seed-jira.yaml', import.meta.url))

async function loadError(path: string): Promise<ConfigError> {
  try {
    await loadConfigFile(path, {})
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError)
    return error as ConfigError
  }
  throw new Error('expected a ConfigError')
}

describe('config/load: loadConfigFile', () => {
  it("loads the seed README's Jira example with its values filled in", async () => {
    const config = await loadConfigFile(SEED_JIRA, { MY_PASSWORD: 'api-token' })
    expect(config.integrations).to.have.length(1)
    const jira = config.integrations[0] as JiraIntegration
    expect(jira).to.deep.include({
      name: 'my-jira',
      kind: 'jira',
      enabled: true,
      url: 'https://myname.atlassian.net',
      user: 'user@gmail.com',
      token: undefined,
      projectKey: 'VUL',
      board: 'SLK',
      priority: 'High',
      assignee: 'John',
      issueType: 'Bug',
      sprint: '3.5 Sprint 8',
      apiVersion: 3,
      tlsVerify: true,
    })
    expect(jira.password?.reveal()).to.equal('api-token')
    expect(jira.labels).to.deep.equal(['label1', 'label2'])
    expect(jira.unknowns).to.deep.equal([
      { name: 'custom-field', hint: 'text', value: 'hello world' },
      { name: 'custom-field', hint: 'number', value: '337' },
      { name: 'custom-field', hint: 'multi-value', value: '1,2,3' },
      { name: 'custom-field', hint: 'multi-line-text', value: 'text \n moretext' },
      { name: 'custom-field', hint: 'date-time', value: '2014-04-11T12:14:26.880+0400' },
      { name: 'custom', hint: 'url', value: 'https://tour.golang.org/moretypes/7' },
    ])
  })

  it('names the file and the variable when $MY_PASSWORD is missing', async () => {
    const error = await loadError(SEED_JIRA)
    expect(error.problems).to.deep.equal([
      {
        item: 'my-jira',
        key: 'password',
        line: 8,
        message: 'environment variable MY_PASSWORD is not set; pass it to the container, or write the value in cfg.yaml',
      },
    ])
    expect(error.message.split('\n')[0]).to.equal(`Invalid config file ${SEED_JIRA} (1 problem):`)
  })

  it('names the path and AQUAALERT_CFG/POSTEE_CFG when the file is missing', async () => {
    const error = await loadError('/nonexistent/cfg.yaml')
    expect(error.problems).to.have.length(1)
    expect(error.problems[0]).to.include({ item: '/nonexistent/cfg.yaml', key: '' })
    expect(error.message).to.match(/does not exist; mount your cfg.yaml there, or set AQUAALERT_CFG \(alias POSTEE_CFG\)/)
  })

  it('says a directory is not a config file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'postee-cfg-'))
    try {
      expect((await loadError(dir)).message).to.match(/is a directory/)
      const path = join(dir, 'cfg.yaml')
      await writeFile(path, 'integrations:\n  - name: x\n')
      const problem = (await loadError(path)).problems[0]
      expect(problem).to.include({ item: path, key: '' })
      expect(problem?.message).to.match(/the top level is a mapping; cfg.yaml is a YAML list/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
