import { expect } from 'chai'
import { parseRedisTarget } from './redis-target.js'

describe('parseRedisTarget (REDIS_URL)', () => {
  const cases: [string, unknown][] = [
    ['redis://127.0.0.1:6379', { kind: 'single', url: 'redis://127.0.0.1:6379' }],
    ['rediss://user:pw@redis.example.com:6380/2', { kind: 'single', url: 'rediss://user:pw@redis.example.com:6380/2' }],
    [
      'redis+sentinel://s1:26379,s2:26380,s3/mymaster',
      {
        kind: 'sentinel',
        sentinels: [
          { host: 's1', port: 26379 },
          { host: 's2', port: 26380 },
          { host: 's3', port: 26379 },
        ],
        name: 'mymaster',
        password: undefined,
        db: 0,
      },
    ],
    [
      'redis+sentinel://:p%40ss@s1:26379/my%20master/3',
      { kind: 'sentinel', sentinels: [{ host: 's1', port: 26379 }], name: 'my master', password: 'p@ss', db: 3 },
    ],
    ['redis+sentinel://s1:26379', undefined],
    ['redis+sentinel://s1:99999/m', undefined],
    ['http://redis:6379', undefined],
    ['not a url', undefined],
  ]
  for (const [url, expected] of cases) {
    it(`${url} → ${expected ? (expected as { kind: string }).kind : 'refused'}`, () =>
      expect(parseRedisTarget(url)).to.deep.equal(expected))
  }
})
