import { connect, type Socket } from 'node:net'

/** A raw HTTP/1.1 connection, so a test can send a request as slowly (or as partially) as an attacker would. */
export interface RawConnection {
  readonly socket: Socket
  /** Everything the server sent so far. */
  received(): string
  /** The status of the first response, once its status line has arrived. */
  status(): number | undefined
  /** Resolves with the milliseconds since connecting when the server closes the connection, or undefined after `deadlineMs`. */
  closed(deadlineMs: number): Promise<number | undefined>
  /** Writes when the socket is still open; false otherwise. */
  write(data: string | Buffer): boolean
}

/** Connects to 127.0.0.1:`port` and sends `head` (request line and headers, as far as given). */
export async function openRaw(port: number, head = ''): Promise<RawConnection> {
  const socket = connect(port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  const started = Date.now()
  let text = ''
  let closedAfter: number | undefined
  const waiters: (() => void)[] = []
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')))
  socket.on('error', () => undefined)
  socket.on('close', () => {
    closedAfter = Date.now() - started
    for (const waiter of waiters.splice(0)) waiter()
  })
  if (head) socket.write(head)
  return {
    socket,
    received: () => text,
    status: () => {
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text)
      return match ? Number(match[1]) : undefined
    },
    closed: (deadlineMs) =>
      new Promise((resolve) => {
        if (closedAfter !== undefined) return resolve(closedAfter)
        const timer = setTimeout(() => resolve(undefined), deadlineMs)
        waiters.push(() => {
          clearTimeout(timer)
          resolve(closedAfter)
        })
      }),
    write: (data) => !socket.destroyed && socket.writable && socket.write(data),
  }
}

/** Calls `step` every `everyMs` until it returns false or the connection closes; returns the stop function. */
export function drip(connection: RawConnection, everyMs: number, step: (i: number) => string | false): () => void {
  let i = 0
  const timer = setInterval(() => {
    const data = step(i++)
    if (data === false || !connection.write(data)) clearInterval(timer)
  }, everyMs)
  connection.socket.once('close', () => clearInterval(timer))
  return () => clearInterval(timer)
}

/** Polls `condition` every 50 ms until it holds, or throws `message` after `deadlineMs`. */
export async function until(condition: () => boolean | Promise<boolean>, deadlineMs: number, message: string): Promise<void> {
  const deadline = Date.now() + deadlineMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${message} (not within ${deadlineMs} ms)`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
