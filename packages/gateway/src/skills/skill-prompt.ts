/**
 * What the system prompt says about skills. The catalog is PicoClaw's (`# Skills`, an XML list of
 * name, description, location and source) but bounded: it travels with every turn, so at most
 * MAX_LISTED skills with descriptions cut at MAX_LISTED_DESCRIPTION characters; the model reads a
 * skill's SKILL.md with read_file when it needs it. No skills, no text at all.
 */
import type { SkillInfo } from './skill-catalog.js';

export const MAX_LISTED = 30;
export const MAX_LISTED_DESCRIPTION = 200;
/** A skill forced with /use is inlined whole up to this size. */
export const MAX_ACTIVE_SKILL_CHARS = 16_000;

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text);

/** The `# Skills` block, or undefined when no skill is installed. */
export function skillCatalogPrompt(skills: readonly SkillInfo[]): string | undefined {
  if (skills.length === 0) return undefined;
  const listed = skills.slice(0, MAX_LISTED).map(
    (s) => `<skill><name>${escapeXml(s.name)}</name><description>${escapeXml(cut(s.description, MAX_LISTED_DESCRIPTION))}</description><location>${escapeXml(s.path)}</location><source>${s.source}</source></skill>`,
  );
  const more = skills.length > MAX_LISTED ? `\n(${skills.length - MAX_LISTED} more skills are installed; only the first ${MAX_LISTED} are listed.)` : '';
  return `# Skills\n\nThe following skills extend your capabilities. To use a skill, read its SKILL.md file using the read_file tool.\n\n<skills>\n${listed.join('\n')}\n</skills>${more}`;
}

/** PicoClaw's `# Active Skills` overlay for a skill forced with /use. */
export function activeSkillPrompt(name: string, body: string): string {
  return `# Active Skills\n\nThe following skills are active for this request. Follow them when relevant.\n\n### Skill: ${name}\n\n${cut(body, MAX_ACTIVE_SKILL_CHARS)}`;
}
