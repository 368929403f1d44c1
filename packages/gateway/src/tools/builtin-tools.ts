/** The built-in tools the config enables (shell execution is not offered at all). */
import { join, resolve } from 'node:path';
import { DEFAULT_MAX_MEDIA_SIZE, type LoadedConfig } from '@picoclaw/core';
import { createFileTools } from './builtin/file-tools.js';
import { createLoadImageTool } from './builtin/load-image-tool.js';
import { createSendFileTool, type FileOutbound } from './builtin/send-file-tool.js';
import { createTimeTool } from './builtin/time-tool.js';
import { webFetchDefinition } from './builtin/web-fetch-definition.js';
import type { WebFetchOptions } from './builtin/web-fetch-tool.js';
import { createWebSearch } from '../web/web-search.js';
import { defineTool } from './define-tool.js';
import { pathPolicyFor } from './path-policy.js';
import type { Tool } from './types.js';

/**
 * The tools of a loaded config; its path policy keeps the file tools away from PicoClaw's own
 * files, the conversations and what MCP servers run (path-policy.ts). `warn` hears about a
 * workspace the policy leaves unusable; `outbound` (the channel manager, asked for at each call) sends send_file's files.
 */
export function createBuiltinTools(loaded: LoadedConfig, warn: (message: string) => void = () => {}, outbound: () => FileOutbound | undefined = () => undefined): Tool[] {
  const { config } = loaded;
  const policy = pathPolicyFor(loaded);
  // The home's own files win a tie with the workspace (path-policy.ts): then nothing is left to the tools.
  if (resolve(config.agents.defaults.workspace) === resolve(loaded.paths.home)) {
    warn(`agents.defaults.workspace is PicoClaw's home (${loaded.paths.home}), whose own files the file tools may not touch, so they cannot use it; set agents.defaults.workspace to a folder of its own, e.g. ${join(loaded.paths.home, 'workspace')}`);
  }
  const t = config.tools;
  const d = config.agents.defaults;
  const rules = { restrictToWorkspace: d.restrict_to_workspace, allowReadOutside: d.allow_read_outside_workspace, policy };
  const files = createFileTools({ ...rules, maxReadBytes: t.read_file.max_read_file_size });
  const tools: Tool[] = [createTimeTool()];
  for (const name of ['read_file', 'write_file', 'edit_file', 'append_file', 'list_dir'] as const) {
    if (t[name].enabled) tools.push(files[name]);
  }
  const maxBytes = () => d.max_media_size ?? DEFAULT_MAX_MEDIA_SIZE;
  if (t.send_file.enabled) tools.push(createSendFileTool({ ...rules, maxBytes, outbound }));
  if (t.load_image.enabled) tools.push(createLoadImageTool({ ...rules, maxBytes }));
  if (t.web_fetch.enabled) tools.push(lazyWebFetch({ limitBytes: t.web.fetch_limit_bytes, whitelist: t.web.private_host_whitelist }));
  const search = createWebSearch(t.web, { warn });
  if (search) tools.push(search);
  return tools;
}

/** web_fetch's implementation (the address guard, node:http) loads at its first call: most gateways never fetch. */
function lazyWebFetch(options: WebFetchOptions): Tool {
  let loaded: Promise<Tool> | undefined;
  return defineTool({
    ...webFetchDefinition,
    execute: async (args, context) => (await (loaded ??= import('./builtin/web-fetch-tool.js').then((m) => m.createWebFetchTool(options)))).execute(args, context),
  });
}
