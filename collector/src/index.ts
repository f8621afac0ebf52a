export {
  type CollectorConfig,
  ConfigError,
  defaultConfig,
  loadConfigFile,
  parseConfig,
} from './config/config.js'
export { type Collector, startCollector } from './server.js'
export { openStore, queryRows, type Store, type StoreOptions } from './store/client.js'
