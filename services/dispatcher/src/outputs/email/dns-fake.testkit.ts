import { createSocket, type Socket } from 'node:dgram'
import { Resolver } from 'node:dns/promises'

/**
 * A tiny authoritative DNS server over UDP on loopback, for UseMX tests: enough of RFC 1035 4.1
 * to answer MX, A and AAAA questions from a zone held in memory, with NXDOMAIN (rcode 3) for a
 * name it does not hold and SERVFAIL (rcode 2) on request. A `dns.promises.Resolver` pointed at it
 * with `setServers` runs the same code path as against a real server.
 */

/** The records of one name. `mx` entries are [preference, exchange]; exchange "." is a null MX. */
export interface ZoneEntry {
  readonly mx?: readonly (readonly [number, string])[]
  readonly a?: readonly string[]
  readonly aaaa?: readonly string[]
  readonly servfail?: boolean
}

const TYPE = { A: 1, MX: 15, AAAA: 28 } as const
const TYPE_NAMES: Record<number, string> = { 1: 'A', 15: 'MX', 28: 'AAAA' }

/** The fake DNS server. */
export class DnsFake {
  readonly queries: { name: string; type: string }[] = []
  #socket: Socket | undefined
  #zone: Map<string, ZoneEntry>

  constructor(zone: Record<string, ZoneEntry>) {
    this.#zone = new Map(Object.entries(zone).map(([name, entry]) => [name.toLowerCase(), entry]))
  }

  async start(): Promise<this> {
    const socket = createSocket('udp4')
    socket.on('message', (message, peer) => {
      const answer = this.#answer(message)
      if (answer) socket.send(answer, peer.port, peer.address)
    })
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()))
    this.#socket = socket
    return this
  }

  async stop(): Promise<void> {
    const socket = this.#socket
    this.#socket = undefined
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()))
  }

  /** A resolver that asks only this server, failing fast. */
  resolver(): Resolver {
    const resolver = new Resolver({ timeout: 500, tries: 1 })
    resolver.setServers([`127.0.0.1:${this.#socket!.address().port}`])
    return resolver
  }

  #answer(query: Buffer): Buffer | undefined {
    if (query.length < 12) return undefined
    const { name, end } = readName(query, 12)
    const type = query.readUInt16BE(end)
    this.queries.push({ name, type: TYPE_NAMES[type] ?? String(type) })
    const entry = this.#zone.get(name.toLowerCase())
    const rcode = entry === undefined ? 3 : entry.servfail ? 2 : 0
    const records = entry && rcode === 0 ? recordsOf(entry, type) : []
    const header = Buffer.alloc(12)
    header.writeUInt16BE(query.readUInt16BE(0), 0)
    // QR, AA, the client's RD, RA, and the rcode.
    header.writeUInt16BE(0x8000 | 0x0400 | (query.readUInt16BE(2) & 0x0100) | 0x0080 | rcode, 2)
    header.writeUInt16BE(1, 4)
    header.writeUInt16BE(records.length, 6)
    const question = query.subarray(12, end + 4)
    return Buffer.concat([header, question, ...records.map((rdata) => answerRecord(type, rdata))])
  }
}

function recordsOf(entry: ZoneEntry, type: number): Buffer[] {
  if (type === TYPE.MX) {
    return (entry.mx ?? []).map(([preference, exchange]) => {
      const pref = Buffer.alloc(2)
      pref.writeUInt16BE(preference)
      return Buffer.concat([pref, encodeName(exchange)])
    })
  }
  if (type === TYPE.A) return (entry.a ?? []).map((ip) => Buffer.from(ip.split('.').map(Number)))
  if (type === TYPE.AAAA) return (entry.aaaa ?? []).map(ipv6Bytes)
  return []
}

// The owner name is a pointer to the question's name at offset 12 (RFC 1035 4.1.4).
function answerRecord(type: number, rdata: Buffer): Buffer {
  const fixed = Buffer.alloc(12)
  fixed.writeUInt16BE(0xc00c, 0)
  fixed.writeUInt16BE(type, 2)
  fixed.writeUInt16BE(1, 4)
  fixed.writeUInt32BE(60, 6)
  fixed.writeUInt16BE(rdata.length, 10)
  return Buffer.concat([fixed, rdata])
}

function readName(message: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = []
  let at = offset
  while (at < message.length && message[at]! !== 0) {
    const length = message[at]!
    labels.push(message.subarray(at + 1, at + 1 + length).toString('latin1'))
    at += 1 + length
  }
  return { name: labels.join('.'), end: at + 1 }
}

function encodeName(name: string): Buffer {
  const labels = name
    .replace(/\.$/, '')
    .split('.')
    .filter((label) => label !== '')
  return Buffer.concat([
    ...labels.map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'latin1')])),
    Buffer.from([0]),
  ])
}

function ipv6Bytes(ip: string): Buffer {
  const [head = '', tail = ''] = ip.split('::')
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
  const bytes = Buffer.alloc(16)
  groups.forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), i * 2))
  return bytes
}
