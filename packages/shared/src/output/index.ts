export * from './contract.js'
export * from './classify.js'
export * from './audience.js'
