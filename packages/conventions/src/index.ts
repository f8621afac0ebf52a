export * from './attributes.js'
export * from './enums.js'
