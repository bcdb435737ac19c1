import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { expect } from 'chai'
import { GoldenUpdated, expectGolden } from './golden.js'

describe('expectGolden', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'postee-golden-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  const attempt = (action: () => void): Error | undefined => {
    try {
      action()
      return undefined
    } catch (error) {
      return error as Error
    }
  }

  it('passes when the file holds exactly the text (path or file URL)', () => {
    const file = join(dir, 'a.txt')
    writeFileSync(file, 'one\ntwo\n')
    expectGolden(file, 'one\ntwo\n', {})
    expectGolden(pathToFileURL(file), 'one\ntwo\n', {})
  })

  it('fails on a difference, naming the first differing line, and leaves the file alone', () => {
    const file = join(dir, 'a.txt')
    writeFileSync(file, 'one\ntwo\nthree\n')
    const error = attempt(() => expectGolden(file, 'one\nTWO\nthree\n', {}))
    expect(error?.message).to.include('first difference at line 2: expected "two", got "TWO"')
    expect(error?.message).to.include('UPDATE_GOLDEN=1')
    expect(readFileSync(file, 'utf8')).to.equal('one\ntwo\nthree\n')
  })

  it('fails on a missing file and writes nothing', () => {
    const file = join(dir, 'missing.txt')
    expect(attempt(() => expectGolden(file, 'x', {}))?.message).to.match(
      /^missing golden file .*missing\.txt: run this test once with UPDATE_GOLDEN=1/,
    )
    expect(attempt(() => readFileSync(file))).to.be.instanceOf(Error)
  })

  it('UPDATE_GOLDEN=1 rewrites a different file and reports the test as updated, not passed', () => {
    const file = join(dir, 'sub', 'a.txt')
    const first = attempt(() => expectGolden(file, 'new\n', { UPDATE_GOLDEN: '1' }))
    expect(first).to.be.instanceOf(GoldenUpdated)
    expect(first?.message).to.include('written')
    expect(readFileSync(file, 'utf8')).to.equal('new\n')
    const second = attempt(() => expectGolden(file, 'newer\n', { UPDATE_GOLDEN: '1' }))
    expect(second).to.be.instanceOf(GoldenUpdated)
    expect(second?.message).to.include('rewritten')
    expect(readFileSync(file, 'utf8')).to.equal('newer\n')
    // Once the file matches, the same run passes: only real changes are reported.
    expectGolden(file, 'newer\n', { UPDATE_GOLDEN: '1' })
  })

  it('refuses UPDATE_GOLDEN=1 under CI and writes nothing', () => {
    const file = join(dir, 'a.txt')
    writeFileSync(file, 'old\n')
    for (const ci of ['true', '1', 'yes']) {
      const error = attempt(() => expectGolden(file, 'new\n', { UPDATE_GOLDEN: '1', CI: ci }))
      expect(error).to.not.be.instanceOf(GoldenUpdated)
      expect(error?.message).to.include('UPDATE_GOLDEN=1 is refused under CI')
      expect(readFileSync(file, 'utf8')).to.equal('old\n')
    }
    // Even a matching file fails: asking CI to update is a mistake to surface, not to ignore.
    expect(attempt(() => expectGolden(file, 'old\n', { UPDATE_GOLDEN: '1', CI: 'true' }))?.message).to.include('refused under CI')
    // CI=false is a developer machine.
    expect(attempt(() => expectGolden(file, 'new\n', { UPDATE_GOLDEN: '1', CI: 'false' }))).to.be.instanceOf(GoldenUpdated)
  })

  it('reads the real environment by default', () => {
    const file = join(dir, 'a.txt')
    writeFileSync(file, 'old\n')
    const saved = { UPDATE_GOLDEN: process.env['UPDATE_GOLDEN'], CI: process.env['CI'] }
    try {
      process.env['UPDATE_GOLDEN'] = '1'
      process.env['CI'] = 'true'
      expect(attempt(() => expectGolden(file, 'new\n'))?.message).to.include('refused under CI')
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key]
        else process.env[key] = value
      }
    }
    expect(readFileSync(file, 'utf8')).to.equal('old\n')
  })
})
