/**
 * The config API: the document redacted (secrets shown as "[NOT_HERE]" when set, "" when not),
 * and writes validated with the schema, secrets restored from what is stored, saved atomically
 * (secrets into .security.yml), then applied by a gateway reload.
 */
import { createHash } from 'node:crypto';
import { Router } from 'express';
import { ConfigError, loadConfig, redactSecrets, restoreSecrets, saveConfig, validateConfigDocument } from '@picoclaw/core';

export interface ConfigRouteDeps {
  configPath: string;
  home: string;
  launcherToken(): string;
  /** Asks the running gateway to reload; undefined when it is not running. */
  reloadGateway(): Promise<unknown>;
  /** Runs config writes (read, save, reload) one at a time. */
  serializeConfigWrite(task: () => Promise<void>): Promise<void>;
  log: (level: 'info' | 'warn', message: string) => void;
}

/**
 * The revision of a stored document: a hash of its redacted form, so neither the ETag nor the
 * body derives anything from a secret. A secret changed only in .security.yml keeps the
 * revision: the editor sends the placeholder back and the new stored value is restored anyway.
 */
export function configRevision(redacted: unknown): string {
  return createHash('sha256').update(JSON.stringify(redacted)).digest('base64url').slice(0, 22);
}

/** The revisions an If-Match header names (`"a", "b"`, weak or not); undefined without the header or for `*`. */
function ifMatch(header: string | undefined): string[] | undefined {
  if (!header || header.trim() === '*') return undefined;
  return header.split(',').map((tag) => tag.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1'));
}

export function configRoutes(deps: ConfigRouteDeps): Router {
  const router = Router();
  const load = () => loadConfig({ configPath: deps.configPath, home: deps.home, env: {} });

  router.get('/api/config', async (_req, res) => {
    try {
      const loaded = await load();
      const config = redactSecrets(loaded.document);
      const revision = configRevision(config);
      // The revision, also as the ETag: a PUT with If-Match is refused when the file changed since.
      res.set('etag', `"${revision}"`).json({ path: loaded.paths.config, exists: loaded.exists, warnings: loaded.warnings, revision, config });
    } catch (error) {
      // A broken config.json must not lock the user out: say what is wrong so it can be fixed.
      res.status(409).json({ error: (error as Error).message, issues: error instanceof ConfigError ? error.issues : [] });
    }
  });

  router.post('/api/config/validate', async (req, res) => {
    const stored = await load().then((l) => l.document).catch(() => ({}));
    let restored: unknown;
    try {
      restored = restoreSecrets(req.body, stored);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return void res.status(400).json({ valid: false, issues: error.issues });
    }
    const result = validateConfigDocument(restored, { launcherToken: deps.launcherToken(), env: process.env });
    // `warnings`: what loading it would warn about (keys ignored for compatibility, channels that will not start, …).
    res.status(result.ok ? 200 : 400).json(result.ok ? { valid: true, warnings: result.warnings } : { valid: false, issues: result.issues });
  });

  router.put('/api/config', (req, res) => deps.serializeConfigWrite(async () => {
    if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body)) {
      res.status(400).json({ error: 'send the config as a JSON object' });
      return;
    }
    const loaded = await load().catch(() => undefined);
    // Optional optimistic locking (callers without If-Match keep last-writer-wins): an edit made
    // on an older copy must not silently undo what another tab, the CLI or a text editor wrote.
    const expected = ifMatch(req.get('if-match'));
    if (expected && !(loaded && expected.includes(configRevision(redactSecrets(loaded.document))))) {
      res.status(409).json({ error: 'config.json changed on disk since you loaded it (another tab, the CLI or a text editor); nothing was written. Load it again, then repeat your change.', conflict: true });
      return;
    }
    try {
      // A config still in an older format is backed up before its first save in version 3.
      await saveConfig(restoreSecrets(req.body, loaded?.document ?? {}), { configPath: deps.configPath, launcherToken: deps.launcherToken(), env: process.env, backup: loaded?.migratedFrom !== undefined });
    } catch (error) {
      if (error instanceof ConfigError) {
        res.status(400).json({ error: 'the config is invalid; nothing was written', issues: error.issues });
        return;
      }
      deps.log('warn', `config not saved: ${(error as Error).message}`);
      res.status(500).json({ error: `the config could not be written: ${(error as Error).message}` });
      return;
    }
    deps.log('info', 'config saved from the dashboard');
    const reload = await deps.reloadGateway().catch((error: Error) => ({ error: error.message }));
    res.json({ status: 'saved', reload: reload ?? { status: 'gateway not running' } });
  }));

  return router;
}
