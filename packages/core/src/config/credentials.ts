/**
 * Credential references a secret field may hold instead of the value (reference config.md §13):
 * `file://name` (a file beside config.json) and `enc://…` (AES-256-GCM sealed with a key derived
 * from an SSH private key and a passphrase). Anything else is the plaintext value.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { readFile, realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { PicoError } from '../errors.js';

const HKDF_INFO = 'picoclaw-credential-v1';

export interface CredentialContext {
  /** Directory of config.json: `file://` names are resolved inside it. */
  configDir: string;
  env: NodeJS.ProcessEnv;
}

function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function deriveKey(sshKey: Buffer, passphrase: string, salt: Buffer): Buffer {
  const ikm = createHmac('sha256', createHash('sha256').update(sshKey).digest()).update(passphrase).digest();
  return Buffer.from(hkdfSync('sha256', ikm, salt, HKDF_INFO, 32));
}

async function sealingKeyMaterial(env: NodeJS.ProcessEnv): Promise<{ sshKey: Buffer; passphrase: string }> {
  const passphrase = env.PICOCLAW_KEY_PASSPHRASE ?? env.PICOCLAW_CREDENTIAL_PASSPHRASE;
  if (!passphrase) {
    throw new PicoError('secret_ref', 'an enc:// credential needs PICOCLAW_KEY_PASSPHRASE to be set');
  }
  const keyPath = env.PICOCLAW_SSH_KEY_PATH || join(homedir(), '.ssh', 'picoclaw_ed25519.key');
  try {
    return { sshKey: await readFile(keyPath), passphrase };
  } catch (cause) {
    throw new PicoError('secret_ref', `cannot read the SSH key for enc:// credentials at ${keyPath} (set PICOCLAW_SSH_KEY_PATH)`, { cause });
  }
}

/** Seals a value as `enc://…` (for `picoclaw` tooling and tests; the loader only opens them). */
export async function encryptCredential(plaintext: string, env: NodeJS.ProcessEnv): Promise<string> {
  const { sshKey, passphrase } = await sealingKeyMaterial(env);
  const salt = randomBytes(16);
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(sshKey, passphrase, salt), nonce);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `enc://${Buffer.concat([salt, nonce, body]).toString('base64')}`;
}

/**
 * Resolves one secret value. `where` names the field for error messages; the value itself never
 * appears in an error.
 */
export async function resolveCredential(value: string, where: string, context: CredentialContext): Promise<string> {
  if (value.startsWith('file://')) {
    const name = value.slice('file://'.length);
    const dir = resolve(context.configDir);
    const path = resolve(dir, name);
    let content: string;
    try {
      const real = await realpath(path);
      if (!isInside(await realpath(dir), real)) throw new PicoError('secret_ref', `${where}: file://${name} points outside the config directory ${dir}`);
      content = (await readFile(real, 'utf8')).trim();
    } catch (cause) {
      if (cause instanceof PicoError) throw cause;
      throw new PicoError('secret_ref', `${where}: cannot read file://${name} (looked for ${path})`, { cause });
    }
    if (!content) throw new PicoError('secret_ref', `${where}: file://${name} is empty`);
    return content;
  }
  if (value.startsWith('enc://')) {
    const { sshKey, passphrase } = await sealingKeyMaterial(context.env);
    const payload = Buffer.from(value.slice('enc://'.length), 'base64');
    if (payload.length < 16 + 12 + 16) throw new PicoError('secret_ref', `${where}: enc:// value is too short to be a sealed credential`);
    const salt = payload.subarray(0, 16);
    const nonce = payload.subarray(16, 28);
    const tag = payload.subarray(payload.length - 16);
    try {
      const decipher = createDecipheriv('aes-256-gcm', deriveKey(sshKey, passphrase, salt), nonce);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(payload.subarray(28, payload.length - 16)), decipher.final()]).toString('utf8');
    } catch (cause) {
      throw new PicoError('secret_ref', `${where}: cannot decrypt enc:// value (wrong passphrase or SSH key?)`, { cause });
    }
  }
  return value;
}
