#!/usr/bin/env node
// Fails when a tracked file refers to anything outside the repository: a relative path that
// climbs above the repository root, or a name of the planning notes the project was built from
// (they are not part of the repository, so a reader or a clone never has them). Runs first in
// .ci/run, so a clone with no sibling folders proves the repository stands on its own.
//   node tools/check-self-contained.mjs            (from anywhere; exits 1 listing every hit)
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const self = relative(root, fileURLToPath(import.meta.url))

// Names that only exist outside the repository. Built from pieces so this file does not match itself.
const FORBIDDEN = [
  ['shared', 'fixtures'].join('/'),
  ['shared', 'spec'].join('/'),
  ['shared', 'notes'].join('/'),
  ['', 'work', 'shared'].join('/'),
  ['contract', 'md'].join('.'),
  ['behaviour', 'md'].join('.'),
  ['behavior', 'md'].join('.'),
  ['stack', 'md'].join('.'),
  ['style', 'md'].join('.'),
]
const forbidden = new RegExp(FORBIDDEN.map((s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|'), 'i')

// A relative path that starts with `../` (not the `..` inside `a/../b`).
const climbing = /(?<![\w.\/-])((?:\.\.\/)+)([\w@.-]*)/g

// Files where `../` is not a path relative to the file itself.
const NOT_FILE_RELATIVE = new Set(['pnpm-lock.yaml']) // `link:../x` is relative to each importer

const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean)
const problems = []
for (const file of files) {
  if (file === self) continue
  let text
  try {
    text = readFileSync(join(root, file))
  } catch {
    continue // deleted in the worktree but still in the index
  }
  if (text.includes(0)) continue // binary
  const lines = text.toString('utf8').split('\n')
  lines.forEach((line, i) => {
    const where = `${file}:${i + 1}`
    const named = forbidden.exec(line)
    if (named) problems.push(`${where}: names "${named[0]}", which is not in the repository: ${line.trim()}`)
    if (NOT_FILE_RELATIVE.has(file)) return
    for (const match of line.matchAll(climbing)) {
      const target = resolve(root, dirname(file), match[1])
      if (target !== root && !target.startsWith(root + sep)) {
        problems.push(`${where}: "${match[0]}" climbs above the repository root: ${line.trim()}`)
      }
    }
  })
}

if (problems.length > 0) {
  console.error(problems.join('\n'))
  console.error(
    `check-self-contained: ${problems.length} reference(s) to files outside the repository. ` +
      'Copy what is needed into the repository (fixtures go to test/fixtures/) and cite docs/ instead.',
  )
  process.exit(1)
}
console.log(`check-self-contained: ${files.length} tracked files refer to nothing outside the repository`)
