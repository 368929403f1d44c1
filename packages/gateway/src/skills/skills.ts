/**
 * Skills, behind one object that gateway.ts wires up: the catalog of installed skills (workspace
 * `<workspace>/skills`, then global `<home>/skills`), the system prompt's `# Skills` block, `/use`,
 * and the gateway's `/skills` API (list, show, install, remove). Installing and removing only ever
 * touch `<workspace>/skills` (skill-install.ts); the catalog notices changes by itself (mtimes), so
 * the CLI may change the folders while the gateway runs.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FeatureApi } from '../http/feature-api.js';
import type { Config } from '@picoclaw/core';
import { createSkillCatalog, type SkillCatalog, type SkillInfo } from './skill-catalog.js';
import { skillBody } from './skill-file.js';
import { SkillInstallError } from './skill-tree.js';
import { activeSkillPrompt, skillCatalogPrompt } from './skill-prompt.js';

/** The installer (child_process, zlib, fetch) loads at the first install or removal, not at start-up. */
const installer = () => import('./skill-install.js');

export interface SkillsOptions {
  config(): Config;
  home: string;
  log(level: 'info' | 'warn', message: string): void;
}

/** What `/use <skill> [message]` comes to: a reply, or a turn with the skill active. */
export type UseOutcome = { reply: string } | { skill: string; text?: string };

export interface Skills {
  readonly catalog: SkillCatalog;
  /** The `# Skills` block of the system prompt; undefined when no skill is installed. */
  promptBlock(): Promise<string | undefined>;
  /** The `# Active Skills` block for a skill forced with /use; undefined when it is gone. */
  activeBlock(name: string): Promise<string | undefined>;
  /** Parses `/use` arguments (PicoClaw's forms: `<skill>`, `<skill> <message>`, `clear`). */
  use(args: string): Promise<UseOutcome>;
  /** The gateway's `/skills…` API; `path` is what follows /skills. */
  api(method: string, path: string, body: unknown): Promise<{ status: number; body: unknown }>;
  /** The same, mounted on the gateway's HTTP server. */
  http: FeatureApi;
}

export const skillDirs = (config: Config, home: string) => ({ workspace: join(config.agents.defaults.workspace, 'skills'), global: join(home, 'skills') });

export function createSkills(options: SkillsOptions): Skills {
  const dirs = () => skillDirs(options.config(), options.home);
  const catalog = createSkillCatalog({
    roots: () => [{ dir: dirs().workspace, source: 'workspace' }, { dir: dirs().global, source: 'global' }],
    warn: (message) => options.log('warn', message),
  });
  /** Installs and removals one at a time: two installs of one name must not race for the rename. */
  let changes: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = changes.then(work, work);
    changes = next.catch(() => {});
    return next;
  };

  async function origin(skill: SkillInfo): Promise<string | undefined> {
    try {
      const o = JSON.parse(await readFile(join(skill.dir, '.skill-origin.json'), 'utf8')) as Record<string, unknown>;
      return typeof o.registry === 'string' ? `${o.registry}:${String(o.slug)}` : typeof o.source === 'string' ? o.source : undefined;
    } catch {
      return undefined;
    }
  }

  async function describe(skill: SkillInfo) {
    const from = skill.source === 'workspace' ? await origin(skill) : undefined;
    return { name: skill.name, description: skill.description, source: skill.source, path: skill.path, ...(from ? { origin: from } : {}) };
  }

  async function install(body: unknown) {
    const { source, registry, force } = (body ?? {}) as { source?: unknown; registry?: unknown; force?: unknown };
    if (typeof source !== 'string' || !source.trim()) return { status: 400, body: { error: 'give "source": a folder on the gateway machine, a git URL, github:<owner>/<repo>[/<path>] or clawhub:<slug>' } };
    if (registry !== undefined && typeof registry !== 'string') return { status: 400, body: { error: '"registry" must be a registry name (github, clawhub)' } };
    try {
      const { installSkill } = await installer();
      const installed = await serial(() =>
        installSkill({ source, ...(registry ? { registry } : {}), force: force === true, skillsDir: dirs().workspace, registries: options.config().tools.skills.registries }),
      );
      catalog.invalidate();
      options.log('info', `skill ${installed.name} installed from ${installed.origin} (${installed.files} files)`);
      return { status: 200, body: { installed } };
    } catch (error) {
      if (error instanceof SkillInstallError) return { status: 422, body: { error: error.message } };
      throw error;
    }
  }

  async function remove(name: string) {
    return serial(async () => {
      const skill = await catalogFresh(name);
      if (!skill) return { status: 404, body: { error: `no skill named "${name}" is installed` } };
      if (skill.source !== 'workspace') return { status: 422, body: { error: `"${name}" is a global skill (${skill.dir}); remove its folder there by hand` } };
      const movedTo = await (await installer()).moveAside(dirs().workspace, skill.dir, skill.name);
      catalog.invalidate();
      options.log('info', `skill ${skill.name} removed (moved to ${movedTo})`);
      return { status: 200, body: { removed: skill.name, moved_to: movedTo } };
    });
  }

  /** A listing that does not trust the few-seconds-old one (an install may have just happened); broken skills are logged by `catalog`. */
  const fresh = () => createSkillCatalog({ roots: () => [{ dir: dirs().workspace, source: 'workspace' }, { dir: dirs().global, source: 'global' }], warn: () => {} });
  const catalogFresh = (name: string) => fresh().find(name);

  async function api(method: string, path: string, body: unknown): Promise<{ status: number; body: unknown }> {
    if (path === '' || path === '/') {
      if (method !== 'GET') return { status: 405, body: { error: 'use GET /skills, POST /skills/install or DELETE /skills/<name>' } };
      const list = await fresh().list();
      return { status: 200, body: { skills: await Promise.all(list.map(describe)), dirs: dirs() } };
    }
    if (path === '/install') {
      if (method !== 'POST') return { status: 405, body: { error: 'use POST /skills/install {source}' } };
      return install(body);
    }
    const named = /^\/([^/]+)$/.exec(path);
    if (!named) return { status: 404, body: { error: `no route ${method} /skills${path}` } };
    if (!/^[A-Za-z0-9-]{1,64}$/.test(named[1]!)) return { status: 404, body: { error: `no skill named "${named[1]!.slice(0, 80)}" is installed` } };
    const name = named[1]!;
    if (method === 'DELETE') return remove(name);
    if (method !== 'GET') return { status: 405, body: { error: 'use GET or DELETE /skills/<name>' } };
    const skill = await catalogFresh(name);
    if (!skill) return { status: 404, body: { error: `no skill named "${name}" is installed` } };
    const text = await readFile(skill.path, 'utf8').catch(() => '');
    return { status: 200, body: { ...(await describe(skill)), body: skillBody(text).slice(0, 64_000) } };
  }

  return {
    catalog,
    async promptBlock() {
      return skillCatalogPrompt(await catalog.list());
    },
    async activeBlock(name) {
      const skill = await catalog.find(name);
      if (!skill) return undefined;
      const text = await readFile(skill.path, 'utf8').catch(() => undefined);
      return text === undefined ? undefined : activeSkillPrompt(skill.name, skillBody(text));
    },
    async use(args) {
      const [first = '', ...rest] = args.trim().split(/\s+/);
      const text = args.trim().slice(first.length).trim();
      const names = (await catalog.list()).map((s) => s.name);
      if (!first) {
        return { reply: names.length ? `Usage: /use <skill> [message]\n\nInstalled skills:\n- ${names.join('\n- ')}\n\nUse /use <skill> to apply a skill to your next message, or /use <skill> <message> to use it for this one.` : 'Usage: /use <skill> [message]\nNo skills are installed.' };
      }
      if (/^(clear|off)$/i.test(first) && rest.length === 0) return { skill: '' };
      const skill = names.find((n) => n === first) ?? names.find((n) => n.toLowerCase() === first.toLowerCase());
      if (!skill) return { reply: `Unknown skill: ${first}\n${names.length ? `Installed skills: ${names.join(', ')}` : 'No skills are installed.'}` };
      return text ? { skill, text } : { skill };
    },
    api,
    http: { bodies: ['POST'], maxBody: 16 * 1024, handle: (method, path, _query, body) => api(method, path, body) },
  };
}
