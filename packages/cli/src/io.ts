/** Where a command writes and what environment it reads; tests pass their own. */
export interface CommandIo {
  readonly env: NodeJS.ProcessEnv
  readonly out: (line: string) => void
  readonly err: (line: string) => void
}

/** A command's exit code: 0 success, 1 a failure the operator must look at, 2 bad usage. */
export type ExitCode = 0 | 1 | 2

/** Thrown for bad usage; the message says what to type instead. */
export class UsageError extends Error {}

/** Renders rows as a left-aligned text table with a header row. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()
  return [line(headers), ...rows.map(line)]
}
