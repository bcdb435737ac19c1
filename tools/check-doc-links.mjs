#!/usr/bin/env node
// Checks every relative link of the docs: the target file exists and, for `#anchor`, one of its
// headings has that anchor (GitHub's rule). Fragments under docs/pending/ are drafts to be folded
// in later, so links into them and their own links are skipped. No dependencies: run with node.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const pending = join(root, 'docs', 'pending')

function markdownFiles() {
  const files = ['README.md', 'SECURITY.md', 'deploy/README.md'].map((file) => join(root, file)).filter((file) => existsSync(file))
  const docs = join(root, 'docs')
  if (existsSync(docs)) {
    for (const name of readdirSync(docs)) if (name.endsWith('.md')) files.push(join(docs, name))
  }
  return files
}

// Lines outside fenced code blocks, with inline code spans blanked, keeping line numbers.
function proseLines(text) {
  let fence = false
  return text.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fence = !fence
      return ''
    }
    return fence ? '' : line.replace(/`[^`]*`/g, '')
  })
}

// GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, -1, -2… for repeats.
function anchorsOf(file) {
  const seen = new Map()
  const anchors = new Set()
  let fence = false
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence
    const heading = !fence && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    if (!heading) continue
    const text = heading[1].replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*_~]/g, (c) => (c === '_' ? '_' : ''))
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-')
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    anchors.add(count === 0 ? base : `${base}-${count}`)
  }
  return anchors
}

const problems = []
let checked = 0
for (const file of markdownFiles()) {
  proseLines(readFileSync(file, 'utf8')).forEach((line, index) => {
    for (const match of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const link = match[1]
      if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue // http:, https:, mailto:
      const [path, anchor] = link.split('#', 2)
      const target = path === '' ? file : resolve(dirname(file), decodeURIComponent(path))
      if (target === pending || target.startsWith(pending + '/')) continue
      checked++
      const where = `${relative(root, file)}:${index + 1}`
      if (!existsSync(target)) {
        problems.push(`${where}: ${link}: no file ${relative(root, target)}`)
        continue
      }
      if (anchor !== undefined && anchor !== '') {
        if (statSync(target).isDirectory() || !target.endsWith('.md')) {
          problems.push(`${where}: ${link}: an anchor into something that is not a Markdown file`)
        } else if (!anchorsOf(target).has(anchor)) {
          problems.push(`${where}: ${link}: ${relative(root, target)} has no heading with the anchor #${anchor}`)
        }
      }
    }
  })
}

if (problems.length > 0) {
  console.error(`check-doc-links: ${problems.length} broken link(s); fix the link or the heading it points to:\n  ${problems.join('\n  ')}`)
  process.exit(1)
}
console.log(`check-doc-links: ${checked} relative links, all resolve`)
