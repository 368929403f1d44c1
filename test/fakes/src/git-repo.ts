/**
 * Folders and git repositories made by a test (skills installed from a folder, a file:// URL or a
 * registry's clone): `writeTree` writes files (text, or `{ link }` for a symbolic link) under a
 * folder; `commitGitRepo` makes the folder a repository with one commit and gives its file:// URL.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export async function writeTree(path: string, files: Record<string, string | { link: string }>): Promise<string> {
  for (const [file, content] of Object.entries(files)) {
    await mkdir(join(path, file, '..'), { recursive: true });
    if (typeof content === 'string') await writeFile(join(path, file), content);
    else await symlink(content.link, join(path, file));
  }
  return path;
}

export function commitGitRepo(path: string): string {
  const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.invalid' };
  for (const args of [['init', '-q', '-b', 'main'], ['add', '-A'], ['commit', '-q', '-m', 'test']]) execFileSync('git', args, { cwd: path, stdio: 'ignore', env });
  return `file://${path}`;
}
