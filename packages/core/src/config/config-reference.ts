/**
 * docs/config-reference.md, generated from the schema so the reference cannot drift: every key
 * with its type, default, whether it is a secret and its environment variable.
 * `pnpm docs:config` rewrites the file; a test fails when the committed file is out of date.
 */
import type { z } from 'zod';
import { channelEnvBindings, globalEnvBindings } from './env-overrides.js';
import { configSchema, implementedChannelTypes } from './schema.js';
import { inactiveReason, picoclawOnlyPatterns } from './picoclaw-keys.js';
import { secretPaths } from './secrets.js';

type Node = z.core.$ZodType;
const def = (n: Node) => n._zod.def as unknown as { type: string } & Record<string, unknown>;

interface Row { path: string; type: string; default: string }

function describe(node: Node): { type: string; default?: unknown; inner: Node } {
  let current = node;
  let fallback: unknown;
  for (;;) {
    const d = def(current);
    if (d.type === 'default' || d.type === 'prefault') {
      if (fallback === undefined && d.type === 'default') fallback = typeof d.defaultValue === 'function' ? (d.defaultValue as () => unknown)() : d.defaultValue;
      current = d.innerType as Node;
    } else if (['optional', 'nullable', 'catch', 'readonly'].includes(d.type)) current = d.innerType as Node;
    else if (d.type === 'pipe') current = def(d.in as Node).type === 'transform' ? (d.out as Node) : (d.in as Node);
    else break;
  }
  const d = def(current);
  const type =
    d.type === 'enum' ? Object.values(d.entries as object).map((v) => JSON.stringify(v)).join(' \\| ')
    : d.type === 'literal' ? (d.values as unknown[]).map((v) => JSON.stringify(v)).join(' \\| ')
    : d.type === 'array' ? `${describe(d.element as Node).type}[]`
    : d.type === 'record' ? `map of ${describe(d.valueType as Node).type}`
    : d.type === 'union' ? (d.options as Node[]).map((o) => describe(o).type).join(' \\| ')
    : d.type;
  return { type, default: fallback, inner: current };
}

function walk(node: Node, path: string, rows: Row[], depth = 0) {
  const { type, default: value, inner } = describe(node);
  const d = def(inner);
  if (d.type === 'object' && depth < 8) {
    for (const [key, child] of Object.entries(d.shape as Record<string, Node>)) walk(child, path ? `${path}.${key}` : key, rows, depth + 1);
    return;
  }
  if (d.type === 'record' && def(describe(d.valueType as Node).inner).type === 'object' && depth < 8) {
    walk(d.valueType as Node, `${path}.<name>`, rows, depth + 1);
    return;
  }
  // Channels: one block of keys per channel type (the discriminated union of channel_list).
  if (d.type === 'record' && def(describe(d.valueType as Node).inner).type === 'union' && depth < 8) {
    for (const option of def(describe(d.valueType as Node).inner).options as Node[]) {
      const typeField = def(describe((def(option).shape as Record<string, Node>).type!).inner);
      const label = typeField.type === 'literal' ? String((typeField.values as unknown[])[0]) : 'other types';
      walk(option, `${path}.<${label}>`, rows, depth + 1);
    }
    return;
  }
  if (d.type === 'array' && def(describe(d.element as Node).inner).type === 'object' && depth < 8) {
    walk(d.element as Node, `${path}[]`, rows, depth + 1);
    return;
  }
  rows.push({ path, type, default: value === undefined ? '' : JSON.stringify(value) });
}

export function configReference(): string {
  const rows: Row[] = [];
  walk(configSchema, '', rows);
  const secrets = new Set(secretPaths().map((p) => p.join('.').replace(/\.\*$/, '').replace(/\*/g, '<name>')));
  const env = new Map(globalEnvBindings().map((b) => [b.path.join('.'), b.name]));
  const isSecret = (path: string) => {
    const normal = path.replace(/\[\]/g, '.<name>').replace(/<[^>]+>/g, '<name>');
    return secrets.has(normal) || secrets.has(normal.replace(/\.<name>$/, ''));
  };
  const lines = [
    '# Configuration reference',
    '',
    'Generated from the schema in `packages/core/src/config/schema.ts` (`pnpm docs:config`);',
    'do not edit by hand. 🔒 marks secrets (kept in `.security.yml`, never shown by the API).',
    '`<name>` stands for a map key, `[]` for a list entry. **here** says whether a key works in this',
    'project or is accepted for compatibility with PicoClaw and ignored (start-up, `/status`,',
    '`picoclaw status` and the dashboard name the ignored keys a config sets, with the reason).',
    '',
    '| key | type | default | env | here |',
    '|---|---|---|---|---|',
    ...rows.map((r) => {
      const ignored = inactiveReason(r.path);
      return `| \`${r.path}\`${isSecret(r.path) ? ' 🔒' : ''} | ${r.type} | ${r.default ? `\`${r.default.replace(/\|/g, '\\|')}\`` : ''} | ${env.has(r.path) ? `\`${env.get(r.path)}\`` : ''} | ${ignored ? `ignored: ${ignored}` : 'works'} |`;
    }),
    '',
    '## PicoClaw keys without a schema entry',
    '',
    'Keys of PicoClaw versions that this schema does not have: a config that sets them loads (they',
    'are kept when the config is saved) and they are reported as ignored. Any other unknown key is an',
    'error, with the nearest valid key suggested. Keys starting with `_` are comments.',
    '',
    '| key | here |',
    '|---|---|',
    ...picoclawOnlyPatterns().map(([pattern, reason]) => `| \`${pattern.replace(/\*/g, '<name>')}\` | ignored: ${reason} |`),
    '',
    '## Channel environment variables',
    '',
    'They apply to every channel of that type (`channel_list.<name>.…`).',
    '',
    ...implementedChannelTypes.flatMap((type) => [`### ${type}`, '', '| variable | key |', '|---|---|', ...channelEnvBindings(type).map((b) => `| \`${b.name}\` | \`${b.path.join('.')}\` |`), '']),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(configReference());
