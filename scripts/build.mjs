#!/usr/bin/env node
// Bundles each process with esbuild so start-up reads a few files instead of walking thousands
// in node_modules. Lazily imported libraries (MQTT, Telegram, MCP, Mistral) stay in their own
// chunks and load only when the config enables them.
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { chmod, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Stand-ins for dependencies of our dependencies that Node 20 already provides: each would
 * otherwise be parsed and run at start-up and kept in memory (~0.5 MB of source in all).
 * - readable-stream (winston, mqtt, bl): a copy of Node's own streams → node:stream.
 * - whatwg-url (node-fetch, for telegraf): node-fetch uses Node's URL when there is one and only
 *   falls back to whatwg-url, whose tr46 table alone is 260 KB.
 * - socks (mqtt): used only for a SOCKS proxy, which the MQTT channel never asks for.
 * Stand-ins for code that is parsed at every start but never runs here (~60 KB of source; V8
 * parses every byte a process loads, and parsing is the largest single part of start-up):
 * - worker-timers (mqtt): timers in a browser's web worker; in Node mqtt uses the native ones.
 * - @dabh/diagnostics (winston): debug output of winston's internals, off unless DEBUG is set.
 */
const standInSources = {
  'readable-stream': "module.exports = require('node:stream');",
  'whatwg-url': 'module.exports = { URL, URLSearchParams };',
  socks: "exports.SocksClient = { createConnection() { throw new Error('SOCKS proxies are not supported'); } };",
  'worker-timers': 'module.exports = { setInterval: (f, ms) => setInterval(f, ms), clearInterval: (id) => clearInterval(id) };',
  '@dabh/diagnostics': 'module.exports = () => () => {};',
};
const standIns = {
  name: 'stand-ins',
  setup(b) {
    const streams = { readable: 'Readable', writable: 'Writable', duplex: 'Duplex', transform: 'Transform', passthrough: 'PassThrough' };
    const names = Object.keys(standInSources).map((name) => name.replaceAll('/', '\\/')).join('|');
    b.onResolve({ filter: new RegExp(`^(readable-stream\\/lib\\/_stream_\\w+(\\.js)?|${names})$`) }, (args) => ({ path: args.path, namespace: 'stand-in' }));
    b.onLoad({ filter: /.*/, namespace: 'stand-in' }, ({ path }) => {
      const stream = /_stream_(\w+)/.exec(path)?.[1];
      return { contents: stream ? `module.exports = require('node:stream').${streams[stream]};` : standInSources[path], loader: 'js' };
    });
  },
};
/**
 * The Telegram channel uses telegraf's Bot API client only (it runs its own polling loop); the
 * package's entry also loads the bot framework around it (Telegraf, Composer, Context, scenes,
 * sessions: ~110 KB more source to parse while the channels start).
 */
const telegrafClientOnly = {
  name: 'telegraf-client-only',
  setup(b) {
    const entry = createRequire(join(root, 'packages/gateway/package.json')).resolve('telegraf');
    b.onResolve({ filter: /^telegraf$/ }, () => ({ path: join(dirname(entry), 'telegram.js') }));
  },
};
/**
 * The MCP SDK's Client makes an ajv validator for tool output schemas unless it is given one;
 * the gateway gives it one that loads ajv only for tools that declare such a schema
 * (mcp-manager.ts). This keeps ajv (~290 KB of source) out of the Client's chunk.
 */
const mcpClientWithoutAjv = {
  name: 'mcp-client-without-ajv',
  setup(b) {
    b.onResolve({ filter: /\/validation\/ajv-provider\.js$/ }, (args) =>
      /[\\/]sdk[\\/]dist[\\/]esm[\\/]client[\\/]index\.js$/.test(args.importer) ? { path: 'ajv-provider', namespace: 'mcp-client-stand-in' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'mcp-client-stand-in' }, () => ({
      contents: "export class AjvJsonSchemaValidator { constructor() { throw new Error('the MCP client is given its jsonSchemaValidator'); } }",
      loader: 'js',
    }));
  },
};
const targets = [
  { name: 'gateway', entry: 'packages/gateway/src/cli.ts', outdir: 'packages/gateway/dist', out: 'picoclaw' },
  { name: 'launcher', entry: 'packages/launcher/src/cli.ts', outdir: 'packages/launcher/dist', out: 'picoclaw-launcher' },
];

for (const target of targets) {
  const outdir = join(root, target.outdir);
  await rm(outdir, { recursive: true, force: true });
  const started = performance.now();
  await build({
    entryPoints: { [target.out]: join(root, target.entry) },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    minifySyntax: true,
    minifyWhitespace: process.env.PICOCLAW_BUILD_DEBUG !== "1",
    legalComments: 'none',
    logLevel: 'warning',
    // CommonJS dependencies (ws, mqtt, telegraf, winston) call require() for Node built-ins.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    // Optional peers the SDKs import only when present.
    external: ['@opentelemetry/api'],
    // ESM builds first: some UMD builds (jsonc-parser) require() files esbuild cannot see.
    mainFields: ['module', 'main'],
    plugins: [standIns, telegrafClientOnly, mcpClientWithoutAjv],
  });
  // Executable, so it can be linked onto the PATH as `picoclaw` / `picoclaw-launcher`.
  await chmod(join(outdir, `${target.out}.js`), 0o755);
  console.log(`built ${target.name} → ${target.outdir} in ${Math.round(performance.now() - started)} ms`);
}

// The dashboard: a Vite build into packages/dashboard/dist, served by the launcher.
{
  const started = performance.now();
  const vite = join(root, 'packages/dashboard/node_modules/vite/bin/vite.js');
  // NODE_ENV may be 'test' (vitest runs this build): the bundle must be React's production build.
  execFileSync(process.execPath, [vite, 'build'], { cwd: join(root, 'packages/dashboard'), stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
  console.log(`built dashboard → packages/dashboard/dist in ${Math.round(performance.now() - started)} ms`);
}
