import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

// The repository's test/fixtures/aqua/ (Postee's sample payloads, see its README.md), seen from
// packages/testkit/{src,dist}.
const FIXTURES = new URL('../../../test/fixtures/aqua/', import.meta.url)

/** Absolute path of a file under the repository's test/fixtures/aqua/. */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(name, FIXTURES))
}

/** The bytes of a fixture, as a sender would post them. */
export function readFixture(name: string): Buffer {
  return readFileSync(fixturePath(name))
}

/** A fixture parsed as JSON. */
export function readFixtureJson<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFixture(name).toString('utf8')) as T
}
