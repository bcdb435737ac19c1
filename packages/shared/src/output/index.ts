export * from './contract.js'
export * from './classify.js'
