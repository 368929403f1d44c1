/**
 * A skill's SKILL.md, PicoClaw's format: YAML front matter between `---` lines (`name`,
 * `description`, anything else kept as metadata), then the Markdown instructions the agent reads
 * when it uses the skill. Parsing never throws past `parseSkillFile`: a broken file is a
 * `SkillFileError` with a sentence naming what to fix.
 */
import { loadYaml } from '@picoclaw/core';

/** PicoClaw's limits (pkg/skills/loader.go). */
export const MAX_NAME_LENGTH = 64;
export const MAX_DESCRIPTION_LENGTH = 1024;
/** A SKILL.md larger than this is refused: it is meant to be read by a model in one go. */
export const MAX_SKILL_FILE_BYTES = 256 * 1024;

/** The names PicoClaw accepts for installed skills (letters, digits, single hyphens). */
export const PICOCLAW_NAME = /^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$/;
/** What an install here accepts: lower case only, so a folder name is the same on every file system. */
export const INSTALL_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

export class SkillFileError extends Error {}

export interface SkillFile {
  name: string;
  description: string;
  /** The other front-matter keys (PicoClaw's `metadata`, `license`, …), as parsed. */
  metadata: Record<string, unknown>;
  /** The Markdown after the front matter. */
  body: string;
}

const FRONT_MATTER = /^\uFEFF?---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

/** The Markdown of a SKILL.md without its front matter. */
export function skillBody(text: string): string {
  return text.replace(FRONT_MATTER, '').trim();
}

/**
 * Parses a SKILL.md. `folder` is the name of the folder it is in: the name when the front matter
 * has none (PicoClaw does the same).
 */
export async function parseSkillFile(text: string, folder: string): Promise<SkillFile> {
  const match = FRONT_MATTER.exec(text);
  if (!match) throw new SkillFileError('SKILL.md has no front matter: start it with a "---" line, then "name:" and "description:", then "---"');
  const YAML = await loadYaml();
  let data: unknown;
  try {
    data = YAML.parse(match[1]!, { maxAliasCount: 10 });
  } catch (error) {
    throw new SkillFileError(`the front matter of SKILL.md is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (data === null || data === undefined) data = {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new SkillFileError('the front matter of SKILL.md must be a YAML mapping (name: …, description: …)');
  const { name: rawName, description: rawDescription, ...metadata } = data as Record<string, unknown>;
  const name = rawName === undefined ? folder : typeof rawName === 'string' ? rawName.trim() : undefined;
  if (!name) throw new SkillFileError('"name" in the front matter of SKILL.md must be a text');
  if (name.length > MAX_NAME_LENGTH || !PICOCLAW_NAME.test(name)) throw new SkillFileError(`the skill name "${name.slice(0, 80)}" is not valid: letters, digits and single hyphens, at most ${MAX_NAME_LENGTH} characters`);
  if (typeof rawDescription !== 'string' || !rawDescription.trim()) throw new SkillFileError('"description" in the front matter of SKILL.md is missing: say in one sentence what the skill is for and when to use it');
  const description = rawDescription.replace(/\s+/g, ' ').trim();
  if (description.length > MAX_DESCRIPTION_LENGTH) throw new SkillFileError(`"description" in the front matter of SKILL.md is longer than ${MAX_DESCRIPTION_LENGTH} characters`);
  return { name, description, metadata, body: text.slice(match[0].length).trim() };
}
