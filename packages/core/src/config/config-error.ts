/**
 * Config validation problems, each naming the key path, where the value came from (a line of
 * config.json, .security.yml, an environment variable, or a client request) and what is valid.
 */
import type { z } from 'zod';
import { PicoError } from '../errors.js';
import { nearestKey } from './compat.js';
import { channelTypes, configSchema } from './schema.js';
import { childNodes, numberBounds, objectKeysAt, type SchemaNode } from './schema-walk.js';
import { forEachSecret } from './secrets.js';

export interface ConfigIssue {
  /** Dotted key path, e.g. `channel_list.mqtt.settings.qos`. */
  path: string;
  message: string;
  /** `config.json:12:9`, `.security.yml`, `env PICOCLAW_CHANNELS_MQTT_QOS`, `request`, … */
  source?: string;
}

export class ConfigError extends PicoError {
  constructor(
    message: string,
    readonly issues: ConfigIssue[] = [],
    code: 'config_invalid' | 'config_parse' | 'config_version' = 'config_invalid',
  ) {
    super(code, message);
  }
}

export function formatIssues(title: string, issues: ConfigIssue[]): string {
  const lines = issues.map((i) => `  - ${i.path || '(document)'}${i.source ? ` (${i.source})` : ''}: ${i.message}`);
  return `${title} (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`;
}

type Path = readonly PropertyKey[];
export const dotted = (path: Path) => path.map(String).join('.');

function isSecretPath(doc: unknown, path: Path): boolean {
  const key = dotted(path);
  let found = false;
  forEachSecret(doc, (_v, p) => {
    if (dotted(p) === key) found = true;
  });
  return found;
}

function valueAt(doc: unknown, path: Path): unknown {
  let node = doc;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}

/**
 * Turns zod issues into ConfigIssues. `locate` names the source of a path. Values are quoted
 * only for non-secret fields, so an error message never carries a secret.
 */
export function toConfigIssues(error: z.ZodError, doc: unknown, locate: (path: Path) => string | undefined, show: (path: Path) => Path = (path) => path): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path;
    if (issue.code === 'unrecognized_keys') {
      const valid = objectKeysAt(configSchema, path, doc) ?? [];
      for (const key of issue.keys) {
        const hint = nearestKey(key, valid);
        issues.push({
          path: dotted(show([...path, key])),
          source: locate([...path, key]),
          message: `unknown key${hint ? ` (did you mean "${hint}"?)` : ''}: no PicoClaw version has it. Valid keys here: ${valid.join(', ')}`,
        });
      }
      continue;
    }
    let message = issue.message;
    if (issue.code === 'invalid_union' && path[0] === 'channel_list' && path.length === 3 && path[2] === 'type') {
      message = `unknown channel type ${JSON.stringify(valueAt(doc, path))}; known types: ${channelTypes.join(', ')}`;
      issues.push({ path: dotted(show(path)), source: locate(path), message });
      continue;
    }
    if ((issue.code === 'too_small' || issue.code === 'too_big') && (issue as { origin?: string }).origin === 'number') {
      // One wording for every range: what is valid, both ends when the schema has them.
      const { min, max } = numberRange(path, doc);
      const range = min !== undefined && max !== undefined ? `from ${min} to ${max}` : min !== undefined ? `${min} or more` : `${max} or less`;
      message = `must be ${range}`;
    } else if (issue.code === 'invalid_type') {
      const value = valueAt(doc, path);
      message = value === undefined ? `is required (expected ${issue.expected})` : `expected ${issue.expected}, got ${describe(value)}`;
    }
    const value = valueAt(doc, path);
    const shown = (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') && !isSecretPath(doc, path) && String(value).length <= 60
      ? ` (got ${JSON.stringify(value)})`
      : '';
    issues.push({ path: dotted(show(path)), source: locate(path), message: issue.code === 'invalid_type' ? message : `${message}${shown}` });
  }
  return issues;
}

/** The bounds the schema puts on the number at `path` (a value path into `doc`). */
function numberRange(path: Path, doc: unknown): { min?: number; max?: number } {
  let nodes: SchemaNode[] = [configSchema];
  let parent: unknown = doc;
  for (const segment of path) {
    nodes = childNodes(nodes, typeof segment === 'number' ? segment : String(segment), parent);
    parent = typeof parent === 'object' && parent !== null ? (parent as Record<PropertyKey, unknown>)[segment] : undefined;
  }
  const place = numberBounds(nodes);
  const display = (n: number | undefined) => (n === undefined || Math.abs(n) >= Number.MAX_SAFE_INTEGER ? undefined : Math.round(n * 1e6) / 1e6);
  return { ...(display(place.min) !== undefined ? { min: display(place.min) } : {}), ...(display(place.max) !== undefined ? { max: display(place.max) } : {}) };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value}`;
}
