/**
 * `picoclaw skills list|show|install|remove`: the skills of this home, from the terminal. The
 * folders are changed directly (a running gateway notices by their mtimes at its next turn), with
 * the same checks as the dashboard's install (skills/skill-install.ts). `remove` moves the skill to
 * `<workspace>/skills/.removed/` (the newest ten kept there), so it can be put back by hand.
 */
import { createSkills, skillDirs } from '../skills/skills.js';
import { load, type CliIo } from './cli-commands.js';
import { withProgress } from './cli-style.js';

const USAGE = 'usage: picoclaw skills list [--json] | show <name> | install <folder|git URL|github:<owner>/<repo>[/<path>]|clawhub:<slug>> [--registry <name>] [--force] | remove <name>';

export async function skillsCommand(args: string[], io: CliIo): Promise<number> {
  const [sub = 'list', ...rest] = args;
  const json = rest.includes('--json');
  const force = rest.includes('--force');
  const registryAt = rest.indexOf('--registry');
  const registry = registryAt >= 0 ? rest[registryAt + 1] : undefined;
  const positional = rest.filter((a, i) => !a.startsWith('--') && !(registryAt >= 0 && i === registryAt + 1));
  if (registryAt >= 0 && !registry) {
    io.err('--registry needs a name: github or clawhub (tools.skills.registries)');
    return 2;
  }
  const loaded = await load(io);
  const skills = createSkills({ config: () => loaded.config, home: loaded.paths.home, log: (level, message) => (level === 'warn' ? io.err(io.style.warn(`warning: ${message}`)) : undefined) });
  const dirs = skillDirs(loaded.config, loaded.paths.home);

  switch (sub) {
    case 'list': {
      const { body } = await skills.api('GET', '', undefined);
      // The catalog logs the broken ones (skipped) as warnings on stderr.
      await skills.catalog.list();
      const list = (body as { skills: { name: string; description: string; source: string; path: string; origin?: string }[] }).skills;
      if (json) {
        io.out(JSON.stringify({ skills: list, dirs }, null, 2));
        return 0;
      }
      if (list.length === 0) {
        io.out(`No skills installed (${dirs.workspace}, ${dirs.global}). Install one with: picoclaw skills install <folder or git URL>`);
        return 0;
      }
      for (const s of list) {
        io.out(`${io.style.ok('✓')} ${io.style.bold(s.name)} ${io.style.dim(`(${s.source}${s.origin ? `, from ${s.origin}` : ''})`)}`);
        io.out(`    ${s.description}`);
      }
      return 0;
    }
    case 'show': {
      const name = positional[0];
      if (!name) return usage(io);
      const { status, body } = await skills.api('GET', `/${name}`, undefined);
      if (status !== 200) return refuse(io, (body as { error: string }).error);
      const s = body as { name: string; description: string; source: string; path: string; body: string };
      io.out(json ? JSON.stringify(s, null, 2) : `${io.style.bold(s.name)} (${s.source}) — ${s.path}\n${s.description}\n\n${s.body}`);
      return 0;
    }
    case 'install': {
      const source = positional[0];
      if (!source || positional.length > 1) return usage(io);
      const { status, body } = await withProgress(io.progress, `installing ${source}`, () => skills.api('POST', '/install', { source, ...(registry ? { registry } : {}), force }));
      if (status !== 200) return refuse(io, (body as { error: string }).error);
      const s = (body as { installed: { name: string; description: string; dir: string; files: number; origin: string } }).installed;
      if (json) io.out(JSON.stringify(s, null, 2));
      else io.out(`${io.style.ok('✓')} skill ${io.style.bold(s.name)} installed in ${s.dir} (${s.files} file${s.files === 1 ? '' : 's'}, from ${s.origin})\n    ${s.description}`);
      return 0;
    }
    case 'remove':
    case 'rm': {
      const name = positional[0];
      if (!name || positional.length > 1) return usage(io);
      const { status, body } = await skills.api('DELETE', `/${name}`, undefined);
      if (status !== 200) return refuse(io, (body as { error: string }).error);
      const r = body as { removed: string; moved_to: string };
      io.out(json ? JSON.stringify(r, null, 2) : `${io.style.ok('✓')} skill ${io.style.bold(r.removed)} removed (moved to ${r.moved_to}; move it back to restore it)`);
      return 0;
    }
    default:
      return usage(io);
  }
}

function usage(io: CliIo): number {
  io.err(USAGE);
  return 2;
}

function refuse(io: CliIo, message: string): number {
  io.err(io.style.bad(message));
  return 2;
}
