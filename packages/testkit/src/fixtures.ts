import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

// `../shared` beside the repository root (packages/testkit/{src,dist} → four levels up).
const FIXTURES = new URL('../../../../shared/fixtures/aqua/', import.meta.url)

/** Absolute path of a file under ../shared/fixtures/aqua. */
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
