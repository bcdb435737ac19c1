import { expect } from 'chai'
import { ConfigError } from './config-error.js'
import { readRuntimeEnv } from './environment.js'
import { connectionHost, parseListenAddress } from './runtime-env.js'

function envError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    readRuntimeEnv(env)
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError)
    return error as ConfigError
  }
  throw new Error('expected a ConfigError')
}

describe('config/runtime-env', () => {
  it('applies every default of the contract', () => {
    expect(readRuntimeEnv({})).to.deep.equal({
      configPath: '/config/cfg.yaml',
      http: { host: '0.0.0.0', port: 8082 },
      https: { host: '0.0.0.0', port: 8445 },
      certPem: undefined,
      keyPem: undefined,
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/postee',
      redisUrl: 'redis://127.0.0.1:6379',
      queuePrefix: 'postee',
      dispatcherHttp: { host: '0.0.0.0', port: 8091 },
      migrate: 'auto',
      logLevel: 'info',
      ingestTokens: [],
      ingestHmacSecrets: [],
      adminTokens: [],
      httpLimits: {
        headersTimeoutMs: 10_000,
        requestTimeoutMs: 30_000,
        bodyIdleTimeoutMs: 10_000,
        maxRequestsPerClient: 64,
        maxConnectionsPerClient: 256,
        unverifiedBodyBytes: undefined,
      },
      clientCaPem: undefined,
      postgresConnectTimeoutMs: 3_000,
      postgresQueryTimeoutMs: 4_000,
    })
  })

  it('reads the Postgres time limits, and names a bad one', () => {
    expect(readRuntimeEnv({ POSTEE_PG_CONNECT_TIMEOUT_MS: '1500', POSTEE_PG_QUERY_TIMEOUT_MS: '20000' })).to.deep.include({
      postgresConnectTimeoutMs: 1_500,
      postgresQueryTimeoutMs: 20_000,
    })
    const error = envError({ POSTEE_PG_QUERY_TIMEOUT_MS: '4s', POSTEE_PG_CONNECT_TIMEOUT_MS: '5' })
    expect(error.problems.map((p) => p.key)).to.deep.equal(['POSTEE_PG_CONNECT_TIMEOUT_MS', 'POSTEE_PG_QUERY_TIMEOUT_MS'])
    expect(error.problems[1]!.message).to.match(/"4s" is not a whole number of milliseconds/)
  })

  const hosts: [string, string][] = [
    ['postgres://user:secret@db.internal:6543/postee', 'db.internal:6543'],
    ['postgresql://db/postee', 'db:5432'],
    ['redis://:secret@cache:6380/2', 'cache:6380'],
    ['rediss://cache', 'cache:6379'],
    ['redis+sentinel://:secret@s1:26379,s2:26380/mymaster', 's1:26379,s2:26380'],
    ['nonsense', '(not a URL)'],
  ]
  for (const [url, host] of hosts) {
    it(`connectionHost(${url.replace(/secret/, '…')}) → ${host}, never the password`, () => {
      expect(connectionHost(url)).to.equal(host)
      expect(connectionHost(url)).not.to.include('secret')
    })
  }

  const aliases: [string, string, string, string, unknown][] = [
    ['AQUAALERT_CFG', 'POSTEE_CFG', '/a.yaml', 'configPath', '/a.yaml'],
    ['AQUAALERT_URL', 'POSTEE_HTTP', '127.0.0.1:9000', 'http', { host: '127.0.0.1', port: 9000 }],
    ['AQUAALERT_TLS', 'POSTEE_HTTPS', ':9443', 'https', { host: '0.0.0.0', port: 9443 }],
  ]
  for (const [primary, alias, value, field, expected] of aliases) {
    it(`reads ${primary} and its alias ${alias}; ${primary} wins`, () => {
      expect(readRuntimeEnv({ [primary]: value })).to.deep.include({ [field]: expected })
      expect(readRuntimeEnv({ [alias]: value })).to.deep.include({ [field]: expected })
      const both = readRuntimeEnv({ [primary]: value, [alias]: ':1' })
      expect(both).to.deep.include({ [field]: expected })
    })
  }

  it('reads every other variable', () => {
    const env = readRuntimeEnv({
      AQUAALERT_CERT_PEM: '-----BEGIN CERTIFICATE-----\nabc',
      AQUAALERT_KEY_PEM: '/run/secrets/key.pem',
      DATABASE_URL: 'postgresql://u:p@db:5432/x',
      REDIS_URL: 'rediss://r:6380/2',
      POSTEE_QUEUE_PREFIX: '{test-1}',
      POSTEE_DISPATCHER_HTTP: '[::1]:0',
      POSTEE_MIGRATE: 'OFF',
      POSTEE_LOG_LEVEL: 'Debug',
      POSTEE_INGEST_TOKEN: ' a, ,b ',
      POSTEE_ADMIN_TOKEN: 'adm-1,adm-2',
    })
    expect(env).to.deep.include({
      certPem: '-----BEGIN CERTIFICATE-----\nabc',
      keyPem: '/run/secrets/key.pem',
      databaseUrl: 'postgresql://u:p@db:5432/x',
      redisUrl: 'rediss://r:6380/2',
      queuePrefix: '{test-1}',
      dispatcherHttp: { host: '::1', port: 0 },
      migrate: 'off',
      logLevel: 'debug',
    })
    expect(env.ingestTokens.map((t) => t.reveal())).to.deep.equal(['a', 'b'])
    expect(env.adminTokens.map((t) => t.reveal())).to.deep.equal(['adm-1', 'adm-2'])
    expect(JSON.stringify(env)).to.not.include('adm-1')
    expect(JSON.stringify(env)).to.not.match(/"a"|"b"/)
  })

  it('disables HTTPS with off, in any case, through either name', () => {
    expect(readRuntimeEnv({ AQUAALERT_TLS: 'off' }).https).to.equal(undefined)
    expect(readRuntimeEnv({ POSTEE_HTTPS: 'OFF' }).https).to.equal(undefined)
  })

  it('treats empty variables as unset', () => {
    expect(readRuntimeEnv({ AQUAALERT_URL: '', POSTEE_HTTP: ':9000', POSTEE_LOG_LEVEL: ' ' })).to.deep.include({
      http: { host: '0.0.0.0', port: 9000 },
      logLevel: 'info',
    })
  })

  const addresses: [string, unknown][] = [
    ['0.0.0.0:8082', { host: '0.0.0.0', port: 8082 }],
    [':8082', { host: '0.0.0.0', port: 8082 }],
    ['[::1]:8082', { host: '::1', port: 8082 }],
    ['[::]:80', { host: '::', port: 80 }],
    ['localhost:1', { host: 'localhost', port: 1 }],
    ['8082', undefined],
    ['host:', undefined],
    ['host:99999', undefined],
    ['::1:8082', undefined],
    ['http://0.0.0.0:8082', undefined],
  ]
  for (const [text, expected] of addresses) {
    it(`parses the listen address ${JSON.stringify(text)}`, () => expect(parseListenAddress(text)).to.deep.equal(expected))
  }

  it('lists every bad variable at once, never quoting connection URLs', () => {
    const error = envError({
      AQUAALERT_URL: 'nope',
      POSTEE_HTTPS: 'also-nope',
      DATABASE_URL: 'mysql://u:pw-s3cr3t@db/x',
      REDIS_URL: 'not a url',
      POSTEE_QUEUE_PREFIX: 'a b',
      POSTEE_DISPATCHER_HTTP: '1:2:3',
      POSTEE_MIGRATE: 'sometimes',
      POSTEE_LOG_LEVEL: 'loud',
      AQUAALERT_CERT_PEM: 'cert',
    })
    expect(error.problems.map((p) => `${p.item} › ${p.key}`)).to.deep.equal([
      'environment › AQUAALERT_KEY_PEM',
      'environment › AQUAALERT_URL',
      'environment › POSTEE_HTTPS',
      'environment › DATABASE_URL',
      'environment › REDIS_URL',
      'environment › POSTEE_QUEUE_PREFIX',
      'environment › POSTEE_DISPATCHER_HTTP',
      'environment › POSTEE_MIGRATE',
      'environment › POSTEE_LOG_LEVEL',
    ])
    expect(error.message).to.match(/AQUAALERT_URL: "nope" is not a listen address; write host:port/)
    expect(error.message).to.match(/POSTEE_LOG_LEVEL: "loud" is not allowed; write one of: trace, debug, info, warn, error, fatal/)
    expect(error.message).to.match(/DATABASE_URL: is not a postgres or postgresql URL/)
    expect(error.message).to.not.match(/s3cr3t/)
  })
})
