export { createLauncher, type Launcher, type LauncherOptions } from './launcher.js';
export { createGatewaySupervisor, type GatewaySupervisor, type SupervisorStatus } from './supervisor/gateway-supervisor.js';
export { createLogBuffer, type LogBuffer, type LogEntry } from './supervisor/log-buffer.js';
