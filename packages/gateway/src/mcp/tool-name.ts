/**
 * Tool names exposed to the model for MCP tools: `mcp_<server>_<tool>`, sanitised as in the
 * reference (lower case, `[a-z0-9_-]`, ≤ 64 chars), with an FNV-1a hash suffix when sanitising
 * lost information, so two different tools never share a name.
 */
function sanitizePart(part: string): string {
  const clean = part.toLowerCase().replace(/[^a-z0-9_-]/g, '_').replace(/_+/g, '_').replace(/^_+|_+$/g, '');
  return (clean || 'unnamed').slice(0, 64);
}

function fnv1a32(text: string): string {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

export function mcpToolName(server: string, tool: string): string {
  const s = sanitizePart(server);
  const t = sanitizePart(tool);
  const base = `mcp_${s}_${t}`;
  const lossy = s !== server.toLowerCase() || t !== tool.toLowerCase();
  if (!lossy && base.length <= 64) return base;
  return `${base.slice(0, 55).replace(/_+$/, '')}_${fnv1a32(`${server}\u0000${tool}`)}`;
}
