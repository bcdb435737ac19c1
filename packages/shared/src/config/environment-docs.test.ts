import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { environmentVariableNames } from './environment.js'

// An operator learns the environment from docs/configuration.md: a variable the services read
// but that page does not name is a setting nobody can find (three were left in docs/pending/).

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'dist' ? [] : sourceFiles(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : []
  })
}

describe('the environment reference (docs/configuration.md)', () => {
  it('names every variable of the environment schema, aliases included', () => {
    const page = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8')
    const names = environmentVariableNames()
    expect(names.length).to.be.greaterThan(30)
    expect(names.filter((name) => !page.includes(`\`${name}\``)).sort()).to.deep.equal([])
  })

  // Also scans the sources, for a variable read outside the schema (the quick start's, say).
  it('names every POSTEE_ and AQUAALERT_ variable the packages and services read', () => {
    const sources = ['packages', 'services'].flatMap((top) =>
      readdirSync(join(ROOT, top), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .flatMap((entry) => sourceFiles(join(ROOT, top, entry.name, 'src'))),
    )
    expect(sources.length).to.be.greaterThan(50)
    const variables = new Set(
      sources.flatMap((file) => readFileSync(file, 'utf8').match(/\b(?:POSTEE|AQUAALERT)_[A-Z0-9_]*[A-Z0-9]\b/g) ?? []),
    )
    expect(variables.has('POSTEE_ADMIN_TOKEN')).to.equal(true)
    const page = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8')
    expect([...variables].filter((name) => !page.includes(`\`${name}\``)).sort()).to.deep.equal([])
  })
})
