/**
 * Walks zod schemas (not values) so that facts tagged once in the schema — which fields are
 * secret, which keys an object accepts — are derived instead of listed twice.
 */
import type { z } from 'zod';

type Node = z.core.$ZodType;
export type SchemaNode = Node;
export type PathPattern = readonly (string | '*')[];

const wrappers = new Set(['optional', 'nullable', 'default', 'prefault', 'catch', 'readonly', 'nonoptional']);

function def(node: Node): { type: string } & Record<string, unknown> {
  return node._zod.def as unknown as { type: string } & Record<string, unknown>;
}

/** Every schema node a value at this level may be checked against (unions fan out). Memoised: the schema does not change. */
const variantCache = new WeakMap<Node, Node[]>();
function variants(node: Node): Node[] {
  let found = variantCache.get(node);
  if (!found) {
    const d = def(node);
    found = wrappers.has(d.type) ? [node, ...variants(d.innerType as Node)]
      : d.type === 'pipe' ? [node, ...variants(d.in as Node)]
      : d.type === 'union' ? [node, ...(d.options as Node[]).flatMap(variants)]
      : [node];
    variantCache.set(node, found);
  }
  return found;
}

/**
 * Whether an object variant of a discriminated union can describe `value`: its `type` field, when
 * it is a literal or an enum, must allow `value.type`.
 */
function matchesDiscriminator(node: Node, value: unknown): boolean {
  const d = def(node);
  if (d.type !== 'object' || typeof value !== 'object' || value === null) return true;
  const typeField = (d.shape as Record<string, Node>).type;
  const actual = (value as { type?: unknown }).type;
  if (!typeField || typeof actual !== 'string') return true;
  const t = def(typeField);
  if (t.type === 'literal') return (t.values as unknown[]).includes(actual);
  if (t.type === 'enum') return Object.values(t.entries as object).includes(actual);
  return true;
}

/** Child schemas of `node` under one path segment; `'*'` means any array index or record key. */
function children(node: Node, segment: string | number, value?: unknown): Node[] {
  const out: Node[] = [];
  for (const v of variants(node)) {
    if (!matchesDiscriminator(v, value)) continue;
    const d = def(v);
    if (d.type === 'object') {
      const shape = d.shape as Record<string, Node>;
      if (typeof segment === 'string' && segment !== '*' && shape[segment]) out.push(shape[segment]);
      if (segment === '*' ) out.push(...Object.values(shape));
      if (d.catchall && def(d.catchall as Node).type !== 'never' && typeof segment === 'string' && !(segment in shape)) out.push(d.catchall as Node);
    } else if (d.type === 'array') out.push(d.element as Node);
    else if (d.type === 'record') out.push(d.valueType as Node);
  }
  return out;
}

/** Path patterns of every node for which `test` holds; arrays and records become `'*'`. */
export function findPaths(root: Node, test: (node: Node) => boolean): PathPattern[] {
  const found: PathPattern[] = [];
  const seen = new Set<Node>();
  const visit = (node: Node, path: (string | '*')[]) => {
    if (seen.has(node)) return;
    seen.add(node);
    for (const v of variants(node)) {
      if (test(v)) {
        found.push(path);
        break;
      }
    }
    for (const v of variants(node)) {
      const d = def(v);
      if (d.type === 'object') {
        for (const [key, child] of Object.entries(d.shape as Record<string, Node>)) visit(child, [...path, key]);
      } else if (d.type === 'array') visit(d.element as Node, [...path, '*']);
      else if (d.type === 'record') visit(d.valueType as Node, [...path, '*']);
    }
    seen.delete(node);
  };
  visit(root, []);
  // The same path may be reached through several union members.
  const unique = new Map(found.map((p) => [p.join('\u0000'), p]));
  return [...unique.values()];
}

/**
 * The keys an object accepts at `path` (a value path), or undefined if there is no object there.
 * With the document itself as `value`, union members that do not fit it (another channel type)
 * are left out.
 */
export function objectKeysAt(root: Node, path: readonly PropertyKey[], value?: unknown): string[] | undefined {
  let nodes: Node[] = [root];
  let current = value;
  for (const segment of path) {
    const key = typeof segment === 'number' ? segment : String(segment);
    nodes = nodes.flatMap((n) => children(n, key, current));
    current = typeof current === 'object' && current !== null ? (current as Record<PropertyKey, unknown>)[segment] : undefined;
    if (nodes.length === 0) return undefined;
  }
  const keys = new Set<string>();
  for (const n of nodes) {
    for (const v of variants(n)) {
      if (!matchesDiscriminator(v, current)) continue;
      const d = def(v);
      if (d.type === 'object') for (const k of Object.keys(d.shape as object)) keys.add(k);
    }
  }
  return keys.size ? [...keys] : undefined;
}

/** The schema nodes for the value at `segment` below a value whose nodes are `nodes`; `parent` is that value. */
export function childNodes(nodes: readonly Node[], segment: string | number, parent: unknown): Node[] {
  return nodes.flatMap((n) => children(n, segment, parent));
}

/** The bounds a number has where `nodes` are (for messages that say what is valid). */
export function numberBounds(nodes: readonly Node[]): { min?: number; max?: number } {
  const bounds: { min?: number; max?: number } = {};
  for (const n of nodes) {
    for (const v of variants(n)) {
      const d = def(v);
      if (d.type !== 'number') continue;
      const checks = ((d.checks as { _zod: { def: { check: string; value: number; inclusive: boolean; format?: string } } }[] | undefined) ?? []).map((c) => c._zod.def);
      // An exclusive bound of a whole number is the next whole number.
      const step = checks.some((c) => c.check === 'number_format' && /int/.test(c.format ?? '')) ? 1 : Number.EPSILON;
      for (const c of checks) {
        if (c.check === 'greater_than') bounds.min = c.inclusive ? c.value : c.value + step;
        if (c.check === 'less_than') bounds.max = c.inclusive ? c.value : c.value - step;
      }
    }
  }
  return bounds;
}
