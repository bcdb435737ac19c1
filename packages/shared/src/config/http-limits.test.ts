import { expect } from 'chai'
import { ConfigError } from './config-error.js'
import { readEnvironment } from './environment.js'
import { HTTP_LIMIT_DEFAULTS, type HttpLimits } from './http-limits.js'
import type { ConfigProblem } from './types.js'

// The limits read through the one environment schema, or (undefined and) the problems it lists.
function read(env: NodeJS.ProcessEnv): { limits: HttpLimits | undefined; problems: readonly ConfigProblem[] } {
  try {
    return { limits: readEnvironment(env).env.httpLimits, problems: [] }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    return { limits: undefined, problems: error.problems }
  }
}

describe('config/http-limits', () => {
  it('defaults to seconds, not minutes, and a per-client cap above 32 in flight', () => {
    expect(read({})).to.deep.equal({ limits: HTTP_LIMIT_DEFAULTS, problems: [] })
    expect(HTTP_LIMIT_DEFAULTS.headersTimeoutMs).to.be.at.most(10_000)
    expect(HTTP_LIMIT_DEFAULTS.requestTimeoutMs).to.be.at.most(30_000)
    expect(HTTP_LIMIT_DEFAULTS.maxRequestsPerClient).to.be.at.least(64)
  })

  const valid: [string, string, keyof HttpLimits, unknown][] = [
    ['POSTEE_HTTP_HEADERS_TIMEOUT_MS', '2000', 'headersTimeoutMs', 2000],
    ['POSTEE_HTTP_REQUEST_TIMEOUT_MS', ' 45000 ', 'requestTimeoutMs', 45_000],
    ['POSTEE_HTTP_BODY_IDLE_TIMEOUT_MS', '500', 'bodyIdleTimeoutMs', 500],
    ['POSTEE_HTTP_MAX_REQUESTS_PER_CLIENT', '0', 'maxRequestsPerClient', 0],
    ['POSTEE_HTTP_MAX_CONNECTIONS_PER_CLIENT', '1000', 'maxConnectionsPerClient', 1000],
    ['POSTEE_HTTP_UNVERIFIED_BODY_BYTES', '1048576', 'unverifiedBodyBytes', 1_048_576],
    ['POSTEE_HTTP_UNVERIFIED_BODY_BYTES', '64MB', 'unverifiedBodyBytes', 64 * 1_048_576],
  ]
  for (const [name, value, field, expected] of valid) {
    it(`${name}=${value.trim()} → ${field} ${String(expected)}`, () => {
      const { limits, problems } = read({ [name]: value })
      expect(problems).to.deep.equal([])
      expect(limits?.[field]).to.equal(expected)
    })
  }

  const invalid: [string, string, RegExp][] = [
    ['POSTEE_HTTP_HEADERS_TIMEOUT_MS', '10s', /whole number of milliseconds ≥ 100/],
    ['POSTEE_HTTP_REQUEST_TIMEOUT_MS', '50', /whole number of milliseconds ≥ 100/],
    ['POSTEE_HTTP_MAX_REQUESTS_PER_CLIENT', '-1', /whole number ≥ 0 \(0 means no cap\)/],
    ['POSTEE_HTTP_MAX_CONNECTIONS_PER_CLIENT', 'many', /whole number ≥ 0/],
    ['POSTEE_HTTP_UNVERIFIED_BODY_BYTES', 'lots', /not a size/],
  ]
  for (const [name, value, message] of invalid) {
    it(`${name}=${value} is a problem that names the variable and keeps the default`, () => {
      const { limits, problems } = read({ [name]: value })
      expect(problems).to.have.length(1)
      expect(problems[0]).to.include({ item: 'environment', key: name })
      expect(problems[0]!.message).to.match(message)
      expect(limits).to.equal(undefined)
    })
  }

  it('refuses a header timeout longer than the request timeout (Node would throw at start)', () => {
    const { problems } = read({ POSTEE_HTTP_HEADERS_TIMEOUT_MS: '40000' })
    expect(problems.map((p) => p.key)).to.deep.equal(['POSTEE_HTTP_HEADERS_TIMEOUT_MS'])
  })
})
