export { findAlwaysAllowed, parseAlwaysAllow } from "./always-allow.js";
export { parseIni } from "./ini-parser.js";
export {
  type CheckSpec,
  DEFAULT_CHECK_TIMEOUT_MS,
  type LoadMonitorConfigOptions,
  loadMonitorConfig,
  type MonitorConfig,
  type MonitorConfigSource,
  type MonitorLogLevel,
} from "./load-monitor-config.js";
