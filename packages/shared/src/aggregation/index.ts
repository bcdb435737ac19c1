export * from './rules.js'
