import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Golden files: the exact text a renderer or an output produces, stored beside its test and
 * reviewed like code. One rule for every golden test:
 *
 * - by default the text is compared with the file; a missing or different file fails the test;
 * - with `UPDATE_GOLDEN=1` a missing or different file is rewritten, and the test still FAILS,
 *   naming the file, so an update never counts as a pass: review `git diff`, then run again
 *   without the variable. A file that already matches passes as usual;
 * - with `UPDATE_GOLDEN=1` and `CI` set, every golden test fails and nothing is written: CI checks
 *   goldens, it never rewrites them.
 */

/** Thrown after a golden file was rewritten under `UPDATE_GOLDEN=1`: the test is "updated", not passed. */
export class GoldenUpdated extends Error {
  override readonly name = 'GoldenUpdated'
}

/** Whether the environment asks to rewrite golden files (`UPDATE_GOLDEN=1`). */
function updateRequested(env: NodeJS.ProcessEnv): boolean {
  return env['UPDATE_GOLDEN'] === '1'
}

// CI systems set CI=true (some CI=1); CI=false or an empty value means a developer machine.
function underCi(env: NodeJS.ProcessEnv): boolean {
  const ci = env['CI']
  return ci !== undefined && ci !== '' && ci.toLowerCase() !== 'false' && ci !== '0'
}

// Where the two texts first differ, as a line number and both lines, so the failure says what
// changed without dumping a 100 KB string (the git diff after an update shows the rest).
function firstDifference(expected: string, actual: string): string {
  const want = expected.split('\n')
  const got = actual.split('\n')
  const line = want.findIndex((text, i) => text !== got[i])
  const at = line === -1 ? want.length : line
  const show = (text: string | undefined): string =>
    text === undefined ? '(no line)' : JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text)
  return `first difference at line ${at + 1}: expected ${show(want[at])}, got ${show(got[at])}`
}

/**
 * Compares `actual` with the golden file at `file` (a path or a file URL), byte for byte. Under
 * `UPDATE_GOLDEN=1` a missing or different file is rewritten and a `GoldenUpdated` error is
 * thrown; under `UPDATE_GOLDEN=1` with `CI` set it throws without reading or writing anything.
 */
export function expectGolden(file: string | URL, actual: string, env: NodeJS.ProcessEnv = process.env): void {
  const path = typeof file === 'string' ? file : fileURLToPath(file)
  if (updateRequested(env) && underCi(env)) {
    throw new Error(
      `${path}: UPDATE_GOLDEN=1 is refused under CI (CI=${env['CI']}); golden files are rewritten on a developer machine and committed after review`,
    )
  }
  const expected = existsSync(path) ? readFileSync(path, 'utf8') : undefined
  if (expected === actual) return
  if (updateRequested(env)) {
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, actual)
    throw new GoldenUpdated(
      `${path} ${expected === undefined ? 'written' : 'rewritten'} (UPDATE_GOLDEN=1): review the git diff, then run again without UPDATE_GOLDEN`,
    )
  }
  if (expected === undefined) {
    throw new Error(
      `missing golden file ${path}: run this test once with UPDATE_GOLDEN=1 (not under CI), review the new file and commit it`,
    )
  }
  throw new Error(
    `${path} differs from the output (${firstDifference(expected, actual)}); if the change is intended, run with UPDATE_GOLDEN=1 and review the git diff`,
  )
}
