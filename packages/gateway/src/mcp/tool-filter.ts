/**
 * Which of a server's tools are offered: `allow_tools` (when not empty, only these) minus
 * `deny_tools`, each a list of the server's own tool names or `*` / `?` patterns, compared
 * without case (`Hass*`, `GetLiveContext`). Home Assistant exposes dozens of tools; each costs
 * prompt bytes on every turn, and some (a lock, an alarm) a household may not want a model to touch.
 */

/** A `*` / `?` pattern as an anchored, case-insensitive expression; everything else is literal. */
function pattern(glob: string): RegExp {
  const body = glob.trim().replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

export interface ToolFilter {
  (name: string): boolean;
}

export function toolFilter(server: { allow_tools?: readonly string[]; deny_tools?: readonly string[] }): ToolFilter {
  const allow = (server.allow_tools ?? []).filter((g) => g.trim()).map(pattern);
  const deny = (server.deny_tools ?? []).filter((g) => g.trim()).map(pattern);
  if (allow.length === 0 && deny.length === 0) return () => true;
  return (name) => (allow.length === 0 || allow.some((p) => p.test(name))) && !deny.some((p) => p.test(name));
}
