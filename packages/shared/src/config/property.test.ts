import { expect } from 'chai'
import fc from 'fast-check'
import { stringify } from 'yaml'
import { ConfigError } from './config-error.js'
import { KNOWN_KEYS } from './keys.js'
import { parseConfig } from './load.js'

// Any outcome but a Config or a ConfigError is a crash of the loader.
function load(text: string, env: NodeJS.ProcessEnv): 'config' | 'problems' {
  try {
    parseConfig(text, env)
    return 'config'
  } catch (error) {
    if (error instanceof ConfigError) return 'problems'
    throw error
  }
}

const TYPES = Object.keys(KNOWN_KEYS)
const SECRET = 'prop-s3cr3t-Zq8'

describe('config loader properties', () => {
  it('any text: a Config or a ConfigError listing problems, never a crash', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => void load(text, {})),
      { numRuns: 300 },
    )
  })

  it('any YAML value in any known key of any type: a Config or a ConfigError, never a crash', () => {
    const item = fc.record({
      type: fc.constantFrom(...TYPES),
      key: fc.constantFrom(...Object.values(KNOWN_KEYS).flat()),
      value: fc.jsonValue({ maxDepth: 3 }),
      enable: fc.boolean(),
    })
    fc.assert(
      fc.property(fc.array(item, { maxLength: 4 }), (items) => {
        const yaml = stringify(items.map((i, n) => ({ name: `item-${n}`, type: i.type, enable: i.enable, [i.key]: i.value })))
        load(yaml, {})
      }),
      { numRuns: 300 },
    )
  })

  it('a secret from the environment never appears in a problem, whatever else is wrong', () => {
    const broken = fc.record({
      key: fc.constantFrom('url', 'password', 'token', 'retries', 'port', 'Policy-Min-Vulnerability'),
      value: fc.string({ maxLength: 20 }),
    })
    fc.assert(
      fc.property(fc.constantFrom('slack', 'teams', 'webhook', 'jira', 'splunk', 'serviceNow', 'email'), broken, (type, extra) => {
        const yaml = `- name: x\n  type: ${type}\n  enable: true\n  url: $SECRET_VALUE\n  password: $SECRET_VALUE\n  token: $SECRET_VALUE\n  ${extra.key}: ${JSON.stringify(extra.value)}\n`
        try {
          parseConfig(yaml, { SECRET_VALUE: SECRET })
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error
          expect(error.message).to.not.include(SECRET)
        }
      }),
      { numRuns: 300 },
    )
  })
})
