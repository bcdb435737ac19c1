import { Writable } from 'node:stream'
import { expect } from 'chai'
import { pino, type Logger } from 'pino'
import { DependencyStatus, DependencyUnavailableError, isPostgresConnectionError, isRedisConnectionError } from './dependency-status.js'

function capture(): { log: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(chunk.toString())
      done()
    },
  })
  return {
    log: pino({ level: 'debug' }, stream),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line)),
  }
}

const coded = (message: string, code: string) => Object.assign(new Error(message), { code })

describe('isPostgresConnectionError', () => {
  const cases: [string, unknown, boolean][] = [
    ['a dropped connection', new Error('Connection terminated unexpectedly'), true],
    ['a partition (client-side time limit)', new Error('Query read timeout'), true],
    ['no free connection in time', new Error('timeout exceeded when trying to connect'), true],
    ['refused', coded('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'), true],
    ['SQLSTATE 08006', coded('connection failure', '08006'), true],
    ['server shutting down (57P01)', coded('terminating connection due to administrator command', '57P01'), true],
    ['starting up (57P03)', coded('the database system is starting up', '57P03'), true],
    ['wrapped by the migrator', new Error('migration (unknown) failed: x', { cause: coded('connect ECONNREFUSED', 'ECONNREFUSED') }), true],
    ['known down', new DependencyUnavailableError('postgres'), true],
    ['Redis known down', new DependencyUnavailableError('redis'), false],
    ['a unique violation', coded('duplicate key value violates unique constraint', '23505'), false],
    ['a missing table', coded('relation "deliveries" does not exist', '42P01'), false],
    ['not an error', 'Connection terminated', false],
  ]
  for (const [name, error, expected] of cases) {
    it(`${name} → ${expected}`, () => expect(isPostgresConnectionError(error)).to.equal(expected))
  }
})

describe('isRedisConnectionError', () => {
  const cases: [string, unknown, boolean][] = [
    ['refused', new Error('connect ECONNREFUSED 127.0.0.1:6379'), true],
    ['offline queue disabled', new Error("Stream isn't writeable and enableOfflineQueue options is false"), true],
    ['closed', new Error('Connection is closed.'), true],
    ['our own time limit', new Error('Redis did not answer within 2000 ms'), true],
    ['a vanished job', new Error('Missing key for job 1. moveToDelayed'), false],
    ['a script error', new Error('ERR Error running script'), false],
  ]
  for (const [name, error, expected] of cases) {
    it(`${name} → ${expected}`, () => expect(isRedisConnectionError(error)).to.equal(expected))
  }
})

describe('DependencyStatus', () => {
  it('logs one line when an outage starts and one when it ends, naming variable and host, never the password', () => {
    const { log, lines } = capture()
    const status = new DependencyStatus('postgres', 'postgres://app:s3cret@db.internal:6543/postee', log)
    expect(status.up).to.equal(false)
    status.restored()
    status.restored()
    for (let i = 0; i < 5; i++) status.lost(new Error('Connection terminated unexpectedly'))
    expect(status.up).to.equal(false)
    status.restored()
    const messages = lines().map((line) => [line.level, line.msg])
    expect(messages).to.deep.equal([
      [30, 'postgres answers at db.internal:6543 (DATABASE_URL)'],
      [
        40,
        'postgres is unreachable at db.internal:6543 (DATABASE_URL): requests and jobs that need it fail or wait until it answers again',
      ],
      [30, 'postgres is reachable again at db.internal:6543 (DATABASE_URL)'],
    ])
    expect(lines()[1]).to.include({
      dependency: 'postgres',
      variable: 'DATABASE_URL',
      host: 'db.internal:6543',
      err: 'Connection terminated unexpectedly',
    })
    expect(JSON.stringify(lines())).not.to.include('s3cret')
  })

  it('before the first answer, errors are kept for the waiting line rather than logged one by one', () => {
    const { log, lines } = capture()
    const status = new DependencyStatus('redis', 'redis://:pw@cache:6380', log)
    status.lost(new Error('connect ECONNREFUSED 10.0.0.9:6380'))
    status.lost(new Error('connect ECONNREFUSED 10.0.0.9:6380'))
    expect(lines()).to.deep.equal([])
    status.logWaiting()
    expect(lines()).to.have.length(1)
    expect(lines()[0]).to.include({ variable: 'REDIS_URL', host: 'cache:6380', err: 'connect ECONNREFUSED 10.0.0.9:6380' })
    expect(String(lines()[0]!.msg)).to.match(/^waiting for redis at cache:6380 \(REDIS_URL\)/)
  })
})
