// @picoclaw/core — what the gateway and the launcher share. Explicit exports only.

export { PicoError, isPicoError, errorCodes, type PicoErrorCode, type PicoErrorOptions } from './errors.js';
export { expandHome, resolveHome, resolvePaths, type HomePaths } from './paths.js';

// config.json
export {
  configSchema,
  channelSchema,
  mcpServerSchema,
  modelEntrySchema,
  channelTypes,
  implementedChannelTypes,
  mcpTransportTypes,
  logLevels,
  effectiveMcpTransport,
  CONFIG_VERSION,
  type Config,
  type ConfigInput,
  type ModelEntry,
  type ChannelConfig,
  type ChannelType,
  type McpServerConfig,
  type AgentDefaults,
} from './config/schema.js';
export { providers, providerIds, findProvider, resolveModelTarget, defaultModelProblem, isRawModelReference, type ProviderInfo, type ProviderWire, type ModelTarget } from './config/providers.js';
export { ConfigError, formatIssues, type ConfigIssue } from './config/config-error.js';
export {
  loadConfig,
  validateConfigDocument,
  applyEnvOverrides,
  parseConfigText,
  parseSecurityText,
  type LoadConfigOptions,
  type LoadedConfig,
} from './config/load-config.js';
export { saveConfig, type SaveConfigOptions } from './config/save-config.js';
export { migrateConfig, type MigrationResult } from './config/migrate.js';
export { globalEnvBindings, channelEnvBindings, type EnvBinding } from './config/env-overrides.js';
export { SECRET_PLACEHOLDER, secretPaths, forEachSecret, collectSecrets, redactSecrets, restoreSecrets } from './config/secrets.js';
export { mergeSecurity, splitSecurity } from './config/security-file.js';
export { loadYaml } from './config/load-yaml.js';
export { resolveCredential, encryptCredential, type CredentialContext } from './config/credentials.js';
export { classifyFailure, parseRetryAfter, backoffDelay, sleep, retry, type FailureClass, type BackoffOptions, type RetryOptions } from './retry.js';
export { writeFileAtomic, readFileIfExists, type AtomicFs, type WriteFileAtomicOptions } from './atomic-write.js';
export { createLogger, createSecretMasker, ignoreBrokenPipes, maskFormat, maskValue, REDACTED, type Logger, type LogLevel, type SecretMasker, type CreateLoggerOptions } from './logger.js';
export { loadLauncherSettings, loadGatewaySettings, describeSettings, settingsHelp, parseCidr, type LauncherSettings, type GatewaySettings, type SettingsSources } from './settings.js';
export {
  gatewayRoutes,
  gatewayExitCodes,
  gatewayUrl,
  type HealthResponse,
  type ReadyResponse,
  type ReadyReason,
  type ReadyCheck,
  type ChannelState,
  type ChannelStatus,
  type McpServerStatus,
  type ModelStatus,
  type GatewayStatus,
  type ClusterStatus,
  type ClusterMember,
  type ReloadResponse,
  type ScheduledJob,
  type JobSchedule,
  type SchedulesStatus,
} from './gateway-api.js';
export { CHALLENGE_HEADER, PROOF_HEADER, newChallenge, isChallenge, gatewayProof, proofMatches, picoCredential } from './gateway-trust.js';
export { parseEnvFile } from './env-file.js';
export { DEFAULT_MAX_MEDIA_SIZE, picoFrameLimits, picoFrameLimitsOf, type PicoFrameLimits } from './pico-limits.js';
export { parseRequestTarget, sameOriginOrNone, decodeSegment, jsonNestingTooDeep, MAX_JSON_DEPTH } from './http-input.js';
export { runtimeEnv, runtimeNodeFlags } from './node-flags.js';
export { httpRequest, requestJson, type HttpRequestOptions, type HttpResponse } from './http-request.js';
