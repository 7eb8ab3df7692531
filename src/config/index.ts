// Public entry of the config module.
export { loadConfig, userConfigDir, settingValue, CONFIG_FILE_NAME, type LoadConfigOptions } from './load.js';
export { readConfigText, readConfigFile } from './read-file.js';
export { parseVolume, ValueProblem } from './values.js';
export * from './types.js';
