/** Where the services find Redis: one server, or a master found through Redis Sentinel. */
export type RedisTarget =
  | { readonly kind: 'single'; readonly url: string }
  | {
      readonly kind: 'sentinel'
      readonly sentinels: readonly { readonly host: string; readonly port: number }[]
      /** The master's name as the sentinels know it. */
      readonly name: string
      readonly password: string | undefined
      readonly db: number
    }

const SENTINEL = /^redis\+sentinel:\/\/(?:([^:@/]*):([^@/]*)@)?([^/]+)\/([^/?#]+)(?:\/(\d+))?$/

/**
 * Reads REDIS_URL: `redis://` or `rediss://` for one server, or
 * `redis+sentinel://[:password@]host[:port][,host[:port]…]/<master name>[/db]` for a master behind
 * Redis Sentinel (port 26379 by default); undefined when it is neither.
 */
export function parseRedisTarget(value: string): RedisTarget | undefined {
  if (value.startsWith('redis+sentinel://')) {
    const match = SENTINEL.exec(value)
    if (!match) return undefined
    const [, , password, hosts, name, db] = match
    const sentinels = hosts!.split(',').map((entry) => {
      const [host, port] = entry.trim().split(':')
      return { host: host ?? '', port: port === undefined ? 26379 : Number(port) }
    })
    if (sentinels.some((s) => s.host === '' || !Number.isInteger(s.port) || s.port < 1 || s.port > 65535)) return undefined
    return {
      kind: 'sentinel',
      sentinels,
      name: decodeURIComponent(name!),
      password: password ? decodeURIComponent(password) : undefined,
      db: db ? Number(db) : 0,
    }
  }
  try {
    const { protocol } = new URL(value)
    return protocol === 'redis:' || protocol === 'rediss:' ? { kind: 'single', url: value } : undefined
  } catch {
    return undefined
  }
}
