export * from './group-commit.js'
export * from './token-match.js'
