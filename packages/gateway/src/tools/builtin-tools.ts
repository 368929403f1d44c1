/** The built-in tools the config enables (shell execution is not offered at all). */
import type { Config } from '@picoclaw/core';
import { createFileTools } from './builtin/file-tools.js';
import { createTimeTool } from './builtin/time-tool.js';
import { createWebFetchTool } from './builtin/web-fetch-tool.js';
import type { PathPolicy } from './path-policy.js';
import type { Tool } from './types.js';

/** `policy` keeps the file tools away from PicoClaw's own files and the conversations (path-policy.ts). */
export function createBuiltinTools(config: Config, policy: PathPolicy): Tool[] {
  const t = config.tools;
  const d = config.agents.defaults;
  const files = createFileTools({
    restrictToWorkspace: d.restrict_to_workspace,
    allowReadOutside: d.allow_read_outside_workspace,
    policy,
    maxReadBytes: t.read_file.max_read_file_size,
  });
  const tools: Tool[] = [createTimeTool()];
  for (const name of ['read_file', 'write_file', 'edit_file', 'append_file', 'list_dir'] as const) {
    if (t[name].enabled) tools.push(files[name]);
  }
  if (t.web_fetch.enabled) tools.push(createWebFetchTool({ limitBytes: t.web.fetch_limit_bytes, whitelist: t.web.private_host_whitelist }));
  return tools;
}
