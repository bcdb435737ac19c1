import type { Server } from 'node:net'

/** Starts `server` listening on `address`; rejects with the listen error (address in use, not available). */
export function listenOn(server: Server, address: { readonly host: string; readonly port: number }): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(address.port, address.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

/**
 * One line saying why `address` (set by `variable`) cannot be listened on and what to do about it,
 * for the message a service prints before it exits 1.
 */
export function listenProblem(error: unknown, address: { readonly host: string; readonly port: number }, variable: string): string {
  const where = `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`
  const code = (error as { code?: string }).code
  switch (code) {
    case 'EADDRINUSE':
      return `cannot listen on ${where} (${variable}): the address is already in use by another process; stop it or set ${variable} to a free port`
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on ${where} (${variable}): no interface of this machine has that address; set ${variable} to one of its addresses, or 0.0.0.0:<port> for all`
    case 'EACCES':
      return `cannot listen on ${where} (${variable}): permission denied (ports below 1024 need privileges); set ${variable} to a port ≥ 1024`
    default:
      return `cannot listen on ${where} (${variable}): ${(error as Error).message}`
  }
}
