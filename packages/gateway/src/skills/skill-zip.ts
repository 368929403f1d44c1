/**
 * Unpacks a skill's zip archive (clawhub's downloads) into an empty folder, refusing what a
 * hostile archive could use: entries that climb out (`..`, absolute names, backslashes), links,
 * encryption, ZIP64 and methods other than stored and deflate, and anything past the same caps as
 * a copied skill (files, bytes per file from the header and again after inflating, total). The
 * archive is in memory (its download is capped); each entry is inflated with a bounded output.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { SkillInstallError, type TreeLimits } from './skill-tree.js';

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** Writes the archive's files below `dest` (which must be a fresh, empty folder). */
export async function extractSkillZip(zip: Buffer, dest: string, limits: TreeLimits): Promise<{ files: number; bytes: number }> {
  const fail = (why: string): never => {
    throw new SkillInstallError(`the skill archive ${why}`);
  };
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === EOCD) {
      end = i;
      break;
    }
  }
  if (end < 0) fail('is not a zip file');
  const count = zip.readUInt16LE(end + 10);
  const size = zip.readUInt32LE(end + 12);
  let at = zip.readUInt32LE(end + 16);
  if (count === 0xffff || size === 0xffffffff || at === 0xffffffff) fail('is a ZIP64 archive, which is not supported');
  if (at + size > end) fail('is damaged (its directory lies past its end)');
  if (count > limits.maxFiles * 2) fail(`has more than ${limits.maxFiles} files`);
  let files = 0;
  let total = 0;
  for (let n = 0; n < count; n++) {
    if (at + 46 > end || zip.readUInt32LE(at) !== CENTRAL) fail('is damaged (a directory entry is missing)');
    const flags = zip.readUInt16LE(at + 8);
    const method = zip.readUInt16LE(at + 10);
    const packed = zip.readUInt32LE(at + 20);
    const unpacked = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const skip = nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const unixMode = zip.readUInt32LE(at + 38) >>> 16;
    const offset = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    at += 46 + skip;
    const parts = name.split('/');
    const isDir = name.endsWith('/');
    if (isDir) parts.pop();
    if (!name || name.includes('\\') || name.includes('\0') || name.startsWith('/') || /^[A-Za-z]:/.test(name) || parts.some((p) => p === '' || p === '.' || p === '..')) {
      fail(`holds an entry that would land outside the skill's folder (${JSON.stringify(name.slice(0, 120))})`);
    }
    if ((unixMode & 0o170000) === 0o120000) fail(`holds a symbolic link (${name}); skills may only hold plain files and folders`);
    if (parts[0] === '.git' || parts.includes('.git')) continue;
    if (isDir) {
      await mkdir(join(dest, ...parts), { recursive: true, mode: 0o755 });
      continue;
    }
    if (flags & 1) fail(`holds an encrypted entry (${name})`);
    if (method !== 0 && method !== 8) fail(`uses a compression method this installer does not read (${name})`);
    if (unpacked > limits.maxFileBytes) fail(`holds ${name}, larger than ${limits.maxFileBytes / 1024 / 1024} MB, the limit for one file of a skill`);
    if (++files > limits.maxFiles) fail(`has more than ${limits.maxFiles} files`);
    if (offset + 30 > end || zip.readUInt32LE(offset) !== LOCAL) fail(`is damaged (${name})`);
    const start = offset + 30 + zip.readUInt16LE(offset + 26) + zip.readUInt16LE(offset + 28);
    if (start + packed > end) fail(`is damaged (${name})`);
    const raw = zip.subarray(start, start + packed);
    let data: Buffer;
    try {
      data = method === 0 ? raw : inflateRawSync(raw, { maxOutputLength: limits.maxFileBytes + 1 });
    } catch {
      fail(`holds ${name}, which does not unpack (damaged, or larger than ${limits.maxFileBytes / 1024 / 1024} MB)`);
    }
    if (data!.length !== unpacked) fail(`is damaged (${name}: its size does not match)`);
    total += data!.length;
    if (total > limits.maxTotalBytes) fail(`is larger than ${limits.maxTotalBytes / 1024 / 1024} MB unpacked`);
    const path = join(dest, ...parts);
    await mkdir(dirname(path), { recursive: true, mode: 0o755 });
    // 'wx': a name given twice in the archive is refused rather than written twice.
    await writeFile(path, data!, { flag: 'wx', mode: 0o644 }).catch((error: NodeJS.ErrnoException) => fail(error.code === 'EEXIST' ? `holds ${name} twice` : `could not be unpacked: ${error.message}`));
  }
  return { files, bytes: total };
}
