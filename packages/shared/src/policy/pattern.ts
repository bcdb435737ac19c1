/**
 * Postee-compatible name matching for Policy-/Ignore- image and registry lists
 * (docs/configuration.md, policies). No regular expression is ever built from a pattern: a pattern
 * is split on `*` and its pieces are found in order with `indexOf`. That makes every character but
 * `*` literal by construction (Postee ran wildcard patterns as raw regexes, so `.` matched anything
 * and `(` threw) and keeps matching linear, with no backtracking on hostile names.
 */

// A pattern's lower-cased pieces between `*`s; `undefined` for a pattern that matches nothing.
type Compiled = readonly string[] | undefined

// Patterns come from cfg.yaml, so the set is small and fixed; the cap only guards against a
// caller feeding scan data in as patterns, which would otherwise grow the map without bound.
const CACHE_LIMIT = 512
const cache = new Map<string, Compiled>()

function compile(pattern: string): Compiled {
  const cached = cache.get(pattern)
  if (cached !== undefined || cache.has(pattern)) return cached
  // An empty item in a list is a config slip (a trailing comma, a blank `- `); reading it as
  // "match all" would silently route or drop every scan, so it matches nothing.
  // Empty pieces (from leading, trailing or repeated `*`) add nothing to an unanchored match.
  const compiled =
    pattern === ''
      ? undefined
      : pattern
          .toLowerCase()
          .split('*')
          .filter((piece) => piece !== '')
  if (cache.size >= CACHE_LIMIT) cache.clear()
  cache.set(pattern, compiled)
  return compiled
}

// Finding each piece at its leftmost position after the previous one is enough: an unanchored
// match only needs the pieces to appear in order, and leftmost leaves the most room for the rest.
function matchesCompiled(lowerValue: string, pieces: Compiled): boolean {
  if (pieces === undefined) return false
  let from = 0
  for (const piece of pieces) {
    const at = lowerValue.indexOf(piece, from)
    if (at < 0) return false
    from = at + piece.length
  }
  return true
}

/**
 * Whether `value` matches `pattern`: case-insensitive; without `*` a substring match; with `*`
 * each `*` is any run of characters and the match is unanchored; an empty pattern matches nothing.
 */
export function matchesPattern(value: string, pattern: string): boolean {
  return matchesCompiled(value.toLowerCase(), compile(pattern))
}

/** The first pattern of `patterns` that `value` matches, or undefined when none does. */
export function findMatchingPattern(value: string, patterns: readonly string[]): string | undefined {
  const lowerValue = value.toLowerCase()
  // Every pattern is tried; Postee stopped at the first wildcard pattern whether or not it matched.
  return patterns.find((pattern) => matchesCompiled(lowerValue, compile(pattern)))
}

/** Whether `value` matches at least one of `patterns` (see `matchesPattern`). */
export function matchesAny(value: string, patterns: readonly string[]): boolean {
  return findMatchingPattern(value, patterns) !== undefined
}
