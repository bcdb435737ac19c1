import type { ConfigProblem } from './types.js'

/**
 * Formats one problem as the single line `line <N>: <item> › <key>: <message>` (no key: `<item>:
 * <message>`; no line, as for environment variables: no `line <N>: ` prefix).
 */
export function formatProblem(problem: ConfigProblem): string {
  const where = problem.key === '' ? problem.item : `${problem.item} › ${problem.key}`
  const line = problem.line === undefined ? '' : `line ${problem.line}: `
  return `${line}${where}: ${problem.message}`
}

/**
 * Thrown when cfg.yaml or the environment is invalid. It carries every problem found, not just the
 * first, so an operator can fix the whole file in one pass; the message lists them one per line.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  readonly problems: readonly ConfigProblem[]

  constructor(problems: readonly ConfigProblem[], heading = 'Invalid configuration') {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`
    super([`${heading} (${count}):`, ...problems.map((p) => `  ${formatProblem(p)}`)].join('\n'))
    this.problems = problems
  }
}
