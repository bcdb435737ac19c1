import { expect } from 'chai'
import { ConfigError } from './config-error.js'
import { ENVIRONMENT_VARIABLES, environmentVariableNames, readEnvironment } from './environment.js'

function problems(env: NodeJS.ProcessEnv): string[] {
  try {
    readEnvironment(env)
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError)
    return (error as ConfigError).problems.map((p) => `${p.item} › ${p.key}: ${p.message}`)
  }
  throw new Error('expected a ConfigError')
}

describe('config/environment (one schema for every variable)', () => {
  it('lists a bad variable of every group, and the rules between variables, in one round', () => {
    const listed = problems({
      AQUAALERT_CERT_PEM: '/run/cert.pem',
      POSTEE_HTTP: 'everywhere',
      REDIS_URL: 'http://redis',
      POSTEE_HTTP_HEADERS_TIMEOUT_MS: '40000',
      POSTEE_HTTP_MAX_REQUESTS_PER_CLIENT: '-1',
      POSTEE_LOCK_DURATION_MS: '30s',
      POSTEE_RELAY_UNQUEUED_MS: 'later',
      POSTEE_INGEST_BODY_BUDGET_MB: '0',
    })
    expect(listed.map((line) => line.split(':')[0])).to.deep.equal([
      'environment › AQUAALERT_KEY_PEM',
      'environment › POSTEE_HTTP',
      'environment › REDIS_URL',
      'environment › POSTEE_HTTP_MAX_REQUESTS_PER_CLIENT',
      'environment › POSTEE_LOCK_DURATION_MS',
      'environment › POSTEE_RELAY_UNQUEUED_MS',
      'environment › POSTEE_INGEST_BODY_BUDGET_MB',
      'environment › POSTEE_HTTP_HEADERS_TIMEOUT_MS',
    ])
    expect(listed).to.include('environment › POSTEE_INGEST_BODY_BUDGET_MB: "0" is not a positive number of MB; write e.g. 26')
    expect(listed).to.include(
      'environment › POSTEE_HTTP: "everywhere" is not a listen address; write host:port, e.g. 0.0.0.0:8082, :8082 or [::1]:8082',
    )
  })

  it('never quotes a connection URL or a secret back', () => {
    const listed = problems({ DATABASE_URL: 'mysql://u:hunter2@db/x', REDIS_URL: 'http://:hunter3@redis', POSTEE_LOG_LEVEL: 'loud' })
    expect(listed).to.have.length(3)
    expect(listed.join('\n')).not.to.match(/hunter/)
    const read = readEnvironment({ POSTEE_INGEST_TOKEN: 'tok-1', POSTEE_INGEST_HMAC_SECRET: 'key-1', POSTEE_ADMIN_TOKEN: 'adm-1' })
    expect(JSON.stringify(read)).not.to.match(/tok-1|key-1|adm-1/)
    expect(read.env.ingestHmacSecrets.map((s) => s.reveal())).to.deep.equal(['key-1'])
  })

  for (const [key, row] of Object.entries(ENVIRONMENT_VARIABLES)) {
    const alias = (row as { alias?: string }).alias
    it(`${row.name}: its default is valid${alias ? `, and ${row.name} wins over ${alias}` : ''}`, () => {
      expect(() => row.schema.parse(undefined)).not.to.throw()
      if (alias === undefined) return
      const bad = 'not valid here:'
      // The alias alone decides, and its name is the one a problem names.
      if (key !== 'configPath') expect(problems({ [alias]: bad })[0]).to.match(new RegExp(`^environment › ${alias}: `))
      // With both set, the AQUAALERT_ name decides and a bad alias is not even read.
      expect(() => readEnvironment({ [row.name]: ':9000', [alias]: bad })).not.to.throw()
    })
  }

  it('names each variable once, aliases included', () => {
    const names = environmentVariableNames()
    expect(new Set(names).size).to.equal(names.length)
    expect(names).to.include.members(['AQUAALERT_CFG', 'POSTEE_CFG', 'DATABASE_URL', 'POSTEE_INGEST_BODY_BUDGET_MB'])
  })
})
