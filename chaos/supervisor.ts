import { spawn, type ChildProcess } from 'node:child_process'

/** How a process of the system under test ended. */
export interface ExitRecord {
  readonly slot: string
  readonly pid: number
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  /** Milliseconds since the run started. */
  readonly at: number
  readonly uptimeMs: number
  /** Why it ended: the test killed it, the test asked it to stop, or nobody did (it died on its own). */
  readonly cause: 'killed by the test' | 'stopped by the test' | 'on its own'
  /** Its last lines of stderr (raw), then its last lines of stdout (JSON logs). */
  readonly stderrTail: readonly string[]
  readonly stdoutTail: readonly string[]
}

const TAIL_LINES = 40

/** Keeps the last `size` lines of a stream. */
function tail(size: number): { push: (chunk: Buffer) => void; lines: () => string[] } {
  const lines: string[] = []
  let partial = ''
  return {
    push: (chunk) => {
      const parts = (partial + chunk.toString('utf8')).split('\n')
      partial = parts.pop() ?? ''
      lines.push(...parts.filter((line) => line.length > 0).map((line) => (line.length > 600 ? `${line.slice(0, 600)}…` : line)))
      lines.splice(0, Math.max(0, lines.length - size))
    },
    lines: () => (partial ? [...lines, partial] : [...lines]).slice(-size),
  }
}

/** Options of a supervised process. */
export interface SlotOptions {
  readonly name: string
  readonly entry: string
  readonly env: Record<string, string>
  readonly nodeArgs: readonly string[]
  /** Base URL whose /readyz tells that it is up. */
  readonly url: string
  /** How long an orchestrator waits before starting a process that died on its own. */
  readonly restartDelayMs: number
  /** A bound on restarts after deaths on their own, so a crash loop cannot run forever. */
  readonly maxRestarts: number
  /** Told of every exit as it happens (progress output). */
  readonly onExit?: (exit: ExitRecord) => void
}

/**
 * One process of the system under test run as an orchestrator runs it: started again after
 * `restartDelayMs` when it dies on its own. Each exit is recorded with its cause, so a SIGKILL sent
 * by the test is never mistaken for a crash and a crash is never hidden by the restart.
 */
export class Slot {
  readonly exits: ExitRecord[] = []
  #child: ChildProcess | undefined
  #intent: 'run' | 'kill' | 'stop' = 'run'
  #restarts = 0
  #restartTimer: NodeJS.Timeout | undefined
  #exited: Promise<void> = Promise.resolve()

  constructor(
    readonly options: SlotOptions,
    private readonly clock: () => number,
  ) {}

  get name(): string {
    return this.options.name
  }

  /** Whether a process of this slot is running now. */
  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null
  }

  /** Starts the process (without waiting for it to be ready). */
  start(): void {
    if (this.running) return
    clearTimeout(this.#restartTimer)
    this.#intent = 'run'
    const startedAt = this.clock()
    const child = spawn(process.execPath, [...this.options.nodeArgs, this.options.entry], {
      env: { ...process.env, ...this.options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const stdout = tail(TAIL_LINES)
    const stderr = tail(TAIL_LINES)
    child.stdout.on('data', stdout.push)
    child.stderr.on('data', stderr.push)
    this.#child = child
    this.#exited = new Promise<void>((resolve) => {
      // 'close' (not 'exit'): the output is complete, so the tails hold the last words.
      child.once('close', (code, signal) => {
        const cause = this.#intent === 'kill' ? 'killed by the test' : this.#intent === 'stop' ? 'stopped by the test' : 'on its own'
        const at = this.clock()
        const exit: ExitRecord = {
          slot: this.name,
          pid: child.pid ?? -1,
          code,
          signal,
          at,
          uptimeMs: at - startedAt,
          cause,
          stderrTail: stderr.lines(),
          stdoutTail: stdout.lines(),
        }
        this.exits.push(exit)
        this.options.onExit?.(exit)
        if (cause === 'on its own' && this.#restarts < this.options.maxRestarts) {
          this.#restarts++
          this.#restartTimer = setTimeout(() => this.start(), this.options.restartDelayMs)
        }
        resolve()
      })
    })
  }

  /** SIGKILL, as a node failure or an OOM killer would; resolves once the process is gone. */
  async kill(): Promise<void> {
    if (!this.running) return
    this.#intent = 'kill'
    this.#child!.kill('SIGKILL')
    await this.#exited
  }

  /**
   * SIGTERM, as an orchestrator stops a pod; SIGKILL after `graceMs`. Resolves with whether it
   * exited by itself within the grace period, and with what code.
   */
  async stop(graceMs: number): Promise<{ inTime: boolean; code: number | null; signal: NodeJS.Signals | null }> {
    clearTimeout(this.#restartTimer)
    const child = this.#child
    this.#intent = 'stop'
    if (!child || !this.running) return { inTime: true, code: child?.exitCode ?? null, signal: child?.signalCode ?? null }
    child.kill('SIGTERM')
    let inTime = true
    const timer = setTimeout(() => {
      inTime = false
      child.kill('SIGKILL')
    }, graceMs)
    await this.#exited
    clearTimeout(timer)
    return { inTime, code: child.exitCode, signal: child.signalCode }
  }

  /** Polls /readyz until it answers 200; false if the deadline passes or the process is gone. */
  async waitReady(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const ok = await fetch(`${this.options.url}/readyz`, { signal: AbortSignal.timeout(2_000) }).then(
        (response) => response.status === 200,
        () => false,
      )
      if (ok) return true
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    return false
  }
}
