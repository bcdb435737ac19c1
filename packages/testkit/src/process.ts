import { spawn, type ChildProcess } from 'node:child_process'

/** A service started as its own process, with its output kept for assertions and failures. */
export interface ServiceProcess {
  readonly child: ChildProcess
  readonly output: () => string
  /** What the process wrote to stderr alone. */
  readonly stderr: () => string
  /** Resolves with the exit code (null when killed by a signal) once the process has ended. */
  readonly exited: Promise<number | null>
  /** Sends a signal and waits for the exit; SIGKILL if it has not exited within `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>
}

/** Starts `node <entry> [args]` with `env` added to ours. */
export function startProcess(entry: string, env: Record<string, string>, args: readonly string[] = []): ServiceProcess {
  const child = spawn(process.execPath, [entry, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString()
    stderr += chunk.toString()
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return {
    child,
    output: () => output,
    stderr: () => stderr,
    exited,
    stop: async (signal = 'SIGTERM', graceMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
      child.kill(signal)
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      const code = await exited
      clearTimeout(timer)
      return code
    },
  }
}

/** Polls `url` until it answers 200, or fails with the process output after `timeoutMs`. */
export async function waitForHttp(url: string, service: ServiceProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) throw new Error(`process exited with ${service.child.exitCode}:\n${service.output()}`)
    try {
      const response = await fetch(url)
      if (response.status === 200) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms:\n${service.output()}`)
}
