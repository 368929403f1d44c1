/**
 * Installing and removing skills in `<workspace>/skills` (where PicoClaw's `skills install` puts
 * them). A source is a local folder, a git URL (`git clone --depth 1`, optionally `#sub/folder`)
 * or a registry of `tools.skills.registries`: `github:<owner>/<repo>[/<path>]` (cloned from the
 * registry's base_url) or `clawhub:<slug>` (its zip archive, unpacked by skill-zip.ts). The skill is checked (SKILL.md with name and
 * description, a lower-case name, plain files within size caps: skill-tree.ts) and copied into a
 * staging folder inside skills/, then renamed into place, so a refused or interrupted install
 * leaves nothing behind. A removed skill is moved aside to `skills/.removed/` (the newest
 * KEEP_REMOVED kept), never deleted outright.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { INSTALL_NAME, MAX_NAME_LENGTH, MAX_SKILL_FILE_BYTES, parseSkillFile, PICOCLAW_NAME, SkillFileError } from './skill-file.js';
import { copySkillTree, DEFAULT_TREE_LIMITS, SkillInstallError, type TreeLimits } from './skill-tree.js';
import { extractSkillZip } from './skill-zip.js';

export { SkillInstallError } from './skill-tree.js';

/** `tools.skills.registries.<name>` as the config holds it (extra PicoClaw keys pass through). */
export interface RegistryConfig {
  enabled?: boolean;
  base_url?: string;
  auth_token?: string;
  [key: string]: unknown;
}

export interface InstallOptions {
  /** A folder, a git URL, `github:<owner>/<repo>[/<path>]` or `clawhub:<slug>`. */
  source: string;
  /** Take `source` as a slug of this registry (PicoClaw's `--registry <name> <slug>`). */
  registry?: string;
  /** `<workspace>/skills`. */
  skillsDir: string;
  registries: Record<string, RegistryConfig>;
  /** Replace an installed skill of the same name (the old one is moved aside). */
  force?: boolean;
  /** Seconds a git clone or registry download may take (default 60). */
  timeoutSeconds?: number;
  limits?: TreeLimits;
  /** Relative folders are resolved against this (the CLI's working directory). */
  cwd?: string;
  /** Progress lines ("cloning …"), for the CLI and the dashboard. */
  progress?: (line: string) => void;
}

export interface InstalledSkill {
  name: string;
  description: string;
  dir: string;
  files: number;
  bytes: number;
  /** Where it came from, as recorded in `.skill-origin.json`. */
  origin: string;
}

const REGISTRY_DEFAULTS: Record<string, { base_url: string }> = {
  github: { base_url: 'https://github.com' },
  clawhub: { base_url: 'https://clawhub.ai' },
};
const KEEP_REMOVED = 10;
const SEGMENT = /^[A-Za-z0-9_.-]+$/;
const GIT_URL = /^(?:(?:https?|git|ssh|file):\/\/|[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+:)/;

/** A git URL with an optional `#sub/folder`; the folder may not climb out of the clone. */
function splitFragment(url: string): { url: string; subdir?: string } {
  const hash = url.indexOf('#');
  if (hash < 0) return { url };
  const subdir = url.slice(hash + 1).replace(/^\/+|\/+$/g, '');
  checkSubdir(subdir);
  return { url: url.slice(0, hash), ...(subdir ? { subdir } : {}) };
}

function checkSubdir(subdir: string) {
  if (subdir.split('/').some((part) => part === '..' || part === '.' || (part !== '' && !SEGMENT.test(part)))) {
    throw new SkillInstallError(`"${subdir}" is not a folder inside the repository (letters, digits, "-", "_", "." and "/" only, no "..")`);
  }
}

type Resolved =
  | { kind: 'folder'; path: string }
  | { kind: 'git'; url: string; subdir?: string; origin: Record<string, unknown>; registry?: string; token?: string }
  | { kind: 'clawhub'; slug: string; base: string; metaUrl: string; downloadUrl: string; token?: string; timeoutMs?: number; maxZipBytes: number };

function registryFor(name: string, registries: Record<string, RegistryConfig>): { base: string; token?: string; timeout?: number; config: RegistryConfig } {
  const defaults = REGISTRY_DEFAULTS[name];
  const configured = registries[name];
  if (!defaults) {
    throw new SkillInstallError(`no skill registry named "${name}": the registries are ${Object.keys(REGISTRY_DEFAULTS).join(' and ')} (tools.skills.registries)`);
  }
  if (configured?.enabled === false) throw new SkillInstallError(`the ${name} skill registry is disabled (tools.skills.registries.${name}.enabled is false)`);
  const base = (configured?.base_url || defaults.base_url).replace(/\/+$/, '');
  const timeout = typeof configured?.timeout === 'number' && configured.timeout > 0 ? configured.timeout : undefined;
  return { base, config: configured ?? {}, ...(configured?.auth_token ? { token: configured.auth_token } : {}), ...(timeout ? { timeout } : {}) };
}

function resolveSource(options: InstallOptions): Resolved {
  const raw = options.source.trim();
  if (!raw) throw new SkillInstallError('say what to install: a folder, a git URL, github:<owner>/<repo>[/<path>] or clawhub:<slug>');
  let registry = options.registry;
  let slug = raw;
  const prefixed = /^(github|clawhub):(?!\/\/)(.+)$/.exec(raw);
  if (!registry && prefixed) [registry, slug] = [prefixed[1]!, prefixed[2]!];
  if (registry) {
    const { base, token, timeout, config } = registryFor(registry, options.registries);
    if (registry === 'clawhub') {
      if (!PICOCLAW_NAME.test(slug) || slug.length > MAX_NAME_LENGTH) throw new SkillInstallError(`"${slug}" is not a clawhub skill slug (letters, digits and hyphens)`);
      // PicoClaw's clawhub settings and defaults (pkg/skills/clawhub_registry.go).
      const text = (key: string, fallback: string) => (typeof config[key] === 'string' && config[key] ? (config[key] as string) : fallback);
      const maxZip = typeof config.max_zip_size === 'number' && config.max_zip_size > 0 ? config.max_zip_size : 50 * 1024 * 1024;
      return {
        kind: 'clawhub',
        slug,
        base,
        metaUrl: `${base}${text('skills_path', '/api/v1/skills')}/${encodeURIComponent(slug)}`,
        downloadUrl: `${base}${text('download_path', '/api/v1/download')}?slug=${encodeURIComponent(slug)}`,
        maxZipBytes: maxZip,
        ...(token ? { token } : {}),
        ...(timeout ? { timeoutMs: timeout * 1000 } : {}),
      };
    }
    const parts = slug.replace(/^\/+|\/+$/g, '').split('/');
    if (parts.length < 2 || !parts.slice(0, 2).every((p) => SEGMENT.test(p) && p !== '.' && p !== '..')) {
      throw new SkillInstallError(`"${slug}" is not a GitHub skill: use <owner>/<repo> or <owner>/<repo>/<path to the skill's folder>`);
    }
    const subdir = parts.slice(2).join('/');
    checkSubdir(subdir);
    const url = `${base}/${parts[0]}/${parts[1]!.replace(/\.git$/, '')}.git`;
    return { kind: 'git', url, ...(subdir ? { subdir } : {}), registry, origin: { registry, slug, registry_url: `${base}/${parts[0]}/${parts[1]}` }, ...(token ? { token } : {}) };
  }
  if (GIT_URL.test(raw)) {
    const { url, subdir } = splitFragment(raw);
    return { kind: 'git', url, ...(subdir ? { subdir } : {}), origin: { source: url.replace(/\/\/[^/@]*@/, '//'), ...(subdir ? { path: subdir } : {}) } };
  }
  const path = isAbsolute(raw) ? raw : resolve(options.cwd ?? process.cwd(), raw);
  return { kind: 'folder', path };
}

/** Runs git without a terminal prompt, with only the transports a skill URL may use, killed at the deadline. */
function git(args: string[], timeoutMs: number, token?: string): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ALLOW_PROTOCOL: 'https:http:git:ssh:file', GIT_ASKPASS: 'true', SSH_ASKPASS: 'true' };
  if (token) {
    // Through the environment, not the command line: other users can read a process's arguments.
    Object.assign(env, { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}` });
  }
  return new Promise((resolvePromise, reject) => {
    const child = spawn('git', args, { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4000) stderr += chunk.toString();
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(new SkillInstallError(error.code === 'ENOENT' ? 'git is not installed on this machine (apt install git), or install the skill from a folder' : `git could not run: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      if (code === 0) return resolvePromise();
      const why = signal ? `it took longer than ${Math.round(timeoutMs / 1000)} s` : stderr.split('\n').map((l) => l.replace(/^(fatal|error): /, '').trim()).filter(Boolean).slice(-2).join('; ') || `git exited with code ${code}`;
      reject(new SkillInstallError(why));
    });
  });
}

/** The skill folders a tree holds (depth ≤ 3), to say what could be installed from it. */
async function skillFolders(root: string, dir = root, depth = 0): Promise<string[]> {
  if (depth > 3) return [];
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (existsSync(join(path, 'SKILL.md'))) found.push(path.slice(root.length + 1));
    else found.push(...(await skillFolders(root, path, depth + 1)));
    if (found.length >= 10) break;
  }
  return found;
}

async function readSkillOf(dir: string, shownSource: string, hint: () => Promise<string>) {
  const file = join(dir, 'SKILL.md');
  const info = await lstat(file).catch(() => undefined);
  if (!info) throw new SkillInstallError(`${shownSource} has no SKILL.md at its top${await hint()}`);
  if (!info.isFile()) throw new SkillInstallError(`SKILL.md of ${shownSource} is not a plain file (a link or a folder)`);
  if (info.size > MAX_SKILL_FILE_BYTES) throw new SkillInstallError(`SKILL.md of ${shownSource} is larger than ${MAX_SKILL_FILE_BYTES / 1024} KB`);
  let skill;
  try {
    skill = await parseSkillFile(await readFile(file, 'utf8'), basename(dir));
  } catch (error) {
    throw new SkillInstallError(error instanceof SkillFileError ? `${shownSource}: ${error.message}` : (error as Error).message);
  }
  if (!INSTALL_NAME.test(skill.name)) throw new SkillInstallError(`the skill name "${skill.name}" is not valid here: lower-case letters, digits and single hyphens (e.g. "home-report"); change "name" in its SKILL.md`);
  return skill;
}

/** Staging folders an interrupted install left behind (the gateway stopped mid-copy), after an hour. */
async function sweepStaging(skillsDir: string) {
  for (const name of await readdir(skillsDir).catch(() => [])) {
    if (!name.startsWith('.installing-')) continue;
    const info = await lstat(join(skillsDir, name)).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > 3_600_000) await rm(join(skillsDir, name), { recursive: true, force: true }).catch(() => {});
  }
}

/** Moves a skill folder to `<skillsDir>/.removed/<name>-<time>`, keeping the newest KEEP_REMOVED there. */
export async function moveAside(skillsDir: string, dir: string, name: string): Promise<string> {
  const bin = join(skillsDir, '.removed');
  await mkdir(bin, { recursive: true, mode: 0o700 });
  const target = join(bin, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  await rename(dir, target);
  const entries = (await readdir(bin)).map((n) => join(bin, n));
  const dated = await Promise.all(entries.map(async (p) => ({ p, at: (await stat(p).catch(() => undefined))?.mtimeMs ?? 0 })));
  for (const { p } of dated.sort((a, b) => b.at - a.at).slice(KEEP_REMOVED)) await rm(p, { recursive: true, force: true });
  return target;
}

export async function installSkill(options: InstallOptions): Promise<InstalledSkill> {
  const limits = options.limits ?? DEFAULT_TREE_LIMITS;
  const progress = options.progress ?? (() => {});
  const source = resolveSource(options);
  const cleanup: string[] = [];
  try {
    let root: string;
    let shown: string;
    let origin: Record<string, unknown>;
    if (source.kind === 'folder') {
      const info = await stat(source.path).catch(() => undefined);
      if (!info?.isDirectory()) throw new SkillInstallError(`${source.path} is not a folder, a git URL (https://, ssh://, file://, git@host:) nor github:/clawhub: — nothing to install`);
      root = source.path;
      shown = source.path;
      origin = { source: source.path };
    } else if (source.kind === 'git') {
      const registry = source.registry ? registryFor(source.registry, options.registries) : undefined;
      const timeoutMs = (registry?.timeout ?? options.timeoutSeconds ?? 60) * 1000;
      const clone = await mkdtemp(join(tmpdir(), 'picoclaw-skill-'));
      cleanup.push(clone);
      progress(`cloning ${source.url}${source.subdir ? ` (folder ${source.subdir})` : ''}…`);
      try {
        await git(['clone', '--depth', '1', '--quiet', '--no-tags', '--', source.url, join(clone, 'repo')], timeoutMs, source.token);
      } catch (error) {
        const what = source.registry ? `the ${source.registry} skill registry (${source.url}) could not be reached or has no such repository` : `git clone ${source.url} failed`;
        const setting = source.registry ? `; check tools.skills.registries.${source.registry}.base_url and this machine's network, or install from a folder` : '';
        throw new SkillInstallError(`${what}: ${(error as Error).message}${setting}`);
      }
      root = source.subdir ? join(clone, 'repo', source.subdir) : join(clone, 'repo');
      shown = source.subdir ? `${source.url}#${source.subdir}` : source.url;
      if (!(await stat(root).catch(() => undefined))?.isDirectory()) throw new SkillInstallError(`${source.url} has no folder "${source.subdir}"`);
      origin = source.origin;
    } else {
      const unpacked = await mkdtemp(join(tmpdir(), 'picoclaw-skill-'));
      cleanup.push(unpacked);
      const fetched = await fetchClawhub(source, options, join(unpacked, 'skill'), limits);
      root = fetched.root;
      shown = `clawhub:${source.slug}`;
      origin = fetched.origin;
    }
    const repoRoot = source.kind === 'git' ? join(cleanup[0]!, 'repo') : root;
    const skill = await readSkillOf(root, shown, async () => {
      if (source.kind !== 'git') return '';
      const found = await skillFolders(repoRoot);
      return found.length ? `; it has skills in: ${found.join(', ')} — install one with ${source.url}#${found[0]}` : '';
    });
    await mkdir(options.skillsDir, { recursive: true, mode: 0o755 });
    const target = join(options.skillsDir, skill.name);
    const existing = await lstat(target).catch(() => undefined);
    if (existing && !options.force) throw new SkillInstallError(`a skill named "${skill.name}" is already installed (${target}); remove it first, or install with --force to replace it`);
    await sweepStaging(options.skillsDir);
    const staging = await mkdtemp(join(options.skillsDir, '.installing-'));
    cleanup.push(staging);
    progress(`checking and copying ${skill.name}…`);
    const copied = await copySkillTree(root, join(staging, 'skill'), limits);
    const originText = String(origin.registry ? `${String(origin.registry)}:${String(origin.slug)}` : origin.source);
    await writeFile(join(staging, 'skill', '.skill-origin.json'), `${JSON.stringify({ version: 1, origin_kind: 'third_party', ...origin, installed_at: Date.now() }, null, 2)}\n`, { mode: 0o600 });
    if (existing) await moveAside(options.skillsDir, target, skill.name);
    await rename(join(staging, 'skill'), target);
    return { name: skill.name, description: skill.description, dir: target, files: copied.files, bytes: copied.bytes, origin: originText };
  } finally {
    for (const dir of cleanup) await rm(dir, { recursive: true, force: true }).catch(() => {});
  }
}

const size = (bytes: number) => (bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MB` : `${Math.ceil(bytes / 1024)} KB`);

/** A registry's answer: the network error in words (no stack, no URL credentials). */
function networkWhy(error: unknown, timeoutMs: number): string {
  if ((error as Error).name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/** The body of a response, refused past `limit` bytes while it arrives. */
async function readCapped(response: Response, limit: number, what: string): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > limit) {
    await response.body?.cancel().catch(() => {});
    throw new SkillInstallError(`${what} is larger than ${size(limit)} (tools.skills.registries.clawhub.max_zip_size)`);
  }
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of response.body ?? []) {
    received += (chunk as Uint8Array).length;
    if (received > limit) throw new SkillInstallError(`${what} is larger than ${size(limit)} (tools.skills.registries.clawhub.max_zip_size)`);
    chunks.push(Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks);
}

/**
 * PicoClaw's clawhub install: the skill's metadata (its latest version and moderation: a skill
 * clawhub flags as malware is refused, a suspicious one installed with a warning), then its zip
 * archive, unpacked into `dest` (outside skills/) for the same checks as any other source.
 */
async function fetchClawhub(source: Extract<Resolved, { kind: 'clawhub' }>, options: InstallOptions, dest: string, limits: TreeLimits): Promise<{ root: string; origin: Record<string, unknown> }> {
  const timeoutMs = source.timeoutMs ?? (options.timeoutSeconds ?? 30) * 1000;
  const headers = (accept: string) => ({ accept, ...(source.token ? { authorization: `Bearer ${source.token}` } : {}) });
  const unreachable = (url: string, error: unknown) =>
    new SkillInstallError(`the clawhub skill registry (${url}) could not be reached: ${networkWhy(error, timeoutMs)}; check tools.skills.registries.clawhub.base_url and this machine's network, or install from a git URL or a folder`);
  options.progress?.(`asking ${source.metaUrl}…`);
  let meta: { latestVersion?: { version?: unknown }; moderation?: { isMalwareBlocked?: unknown; isSuspicious?: unknown } } | undefined;
  try {
    const response = await fetch(source.metaUrl, { signal: AbortSignal.timeout(timeoutMs), headers: headers('application/json') });
    if (response.status === 404) {
      await response.body?.cancel().catch(() => {});
      throw new SkillInstallError(`the clawhub skill registry (${source.base}) has no skill "${source.slug}"`);
    }
    // Like PicoClaw, a registry whose metadata cannot be read is still asked for the archive.
    if (response.ok) meta = JSON.parse((await readCapped(response, 2 * 1024 * 1024, 'the skill\'s metadata')).toString('utf8')) as typeof meta;
    else await response.body?.cancel().catch(() => {});
  } catch (error) {
    if (error instanceof SkillInstallError) throw error;
    if (error instanceof SyntaxError) meta = undefined;
    else throw unreachable(source.metaUrl, error);
  }
  if (meta?.moderation?.isMalwareBlocked === true) throw new SkillInstallError(`clawhub flags the skill "${source.slug}" as malicious; it is not installed`);
  if (meta?.moderation?.isSuspicious === true) options.progress?.(`warning: clawhub flags the skill "${source.slug}" as suspicious`);
  const version = typeof meta?.latestVersion?.version === 'string' ? meta.latestVersion.version : undefined;
  const url = `${source.downloadUrl}${version ? `&version=${encodeURIComponent(version)}` : ''}`;
  options.progress?.(`downloading ${url}…`);
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: headers('application/zip') });
  } catch (error) {
    throw unreachable(url, error);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new SkillInstallError(response.status === 404 ? `the clawhub skill registry (${source.base}) has no skill "${source.slug}"` : `the clawhub skill registry (${url}) answered HTTP ${response.status}`);
  }
  let zip: Buffer;
  try {
    zip = await readCapped(response, source.maxZipBytes, `the archive of "${source.slug}"`);
  } catch (error) {
    if (error instanceof SkillInstallError) throw error;
    throw unreachable(url, error);
  }
  try {
    await mkdir(dest, { recursive: true });
    await extractSkillZip(zip, dest, limits);
  } catch (error) {
    if (error instanceof SkillInstallError) throw error;
    throw new SkillInstallError(`the skill archive could not be unpacked: ${(error as Error).message}`);
  }
  // An archive may hold the skill in one folder at its top rather than at its top.
  const top = await readdir(dest, { withFileTypes: true });
  const root = !existsSync(join(dest, 'SKILL.md')) && top.length === 1 && top[0]!.isDirectory() ? join(dest, top[0]!.name) : dest;
  return {
    root,
    origin: { registry: 'clawhub', slug: source.slug, registry_url: `${source.base}/skills/${encodeURIComponent(source.slug)}`, ...(version ? { installed_version: version } : {}), ...(meta?.moderation?.isSuspicious === true ? { suspicious: true } : {}) },
  };
}
