import { lstat, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '@picoclaw/core';
import { makePng } from '@picoclaw/test-fakes';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createImageStore, isStoredImagePath, sniffImage } from './image-store.js';

let workspace: string;
beforeEach(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'images-'));
});
afterEach(() => rm(workspace, { recursive: true, force: true }));

const store = (max?: number) => createImageStore(() => configSchema.parse({ agents: { defaults: { workspace, ...(max ? { max_media_size: max } : {}) } } }));
const png = makePng(3, 3);

describe('image store', () => {
  it('stores an image once by its content, 0600, and reads it back for a model', async () => {
    const images = store();
    const first = await images.save(png);
    expect(first).toMatchObject({ mime: 'image/png', bytes: png.length });
    expect(first.path).toMatch(/^media\/images\/[0-9a-f]{32}\.png$/);
    expect(isStoredImagePath(first.path)).toBe(true);
    expect(await images.save(Buffer.from(png))).toEqual(first);
    expect(await readdir(join(workspace, 'media', 'images'))).toHaveLength(1);
    expect((await lstat(join(workspace, first.path))).mode & 0o777).toBe(0o600);
    expect(await images.read(first.path)).toEqual({ mime: 'image/png', data: png.toString('base64') });
    expect(await images.file(first.path.split('/').pop()!)).toMatchObject({ mime: 'image/png', bytes: png.length });
  });

  it('takes the type from the bytes and refuses what is not an image, or too large, with a sentence', async () => {
    expect(sniffImage(Buffer.from('GIF89a......'))?.mime).toBe('image/gif');
    expect(sniffImage(Buffer.from('RIFF\0\0\0\0WEBPVP8 '))?.mime).toBe('image/webp');
    expect(sniffImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))?.mime).toBe('image/jpeg');
    await expect(store().save(Buffer.from('<svg onload="alert(1)"/>'))).rejects.toThrow(/not an image a model can read: send a JPEG, PNG, GIF or WebP/);
    await expect(store(100).save(makePng(64, 64, { noise: true }))).rejects.toThrow(/the limit is 100 \(agents.defaults.max_media_size\)/);
  });

  it("decodes data URLs with PicoClaw's checks and messages", async () => {
    const images = store(4096);
    const url = `data:image/png;base64,${png.toString('base64')}`;
    expect((await images.saveDataUrl(url)).mime).toBe('image/png');
    // A declared type that lies is corrected from the bytes.
    expect((await images.saveDataUrl(url.replace('image/png', 'image/jpeg'))).mime).toBe('image/png');
    await expect(images.saveDataUrl('data:image/png')).rejects.toThrow('image data URL is malformed');
    await expect(images.saveDataUrl('data:image/tiff;base64,AAAA')).rejects.toThrow('unsupported image format: image/tiff');
    await expect(images.saveDataUrl('data:image/png,rawbytes')).rejects.toThrow('image data URL must be base64 encoded');
    await expect(images.saveDataUrl('data:image/png;base64,@@@@')).rejects.toThrow('invalid base64 image data');
    await expect(images.saveDataUrl(`data:image/png;base64,${'A'.repeat(8000)}`)).rejects.toThrow('image exceeds 4096 byte limit');
    await expect(images.saveDataUrl('data:image/png;base64,AAAA')).rejects.toThrow(/not an image a model can read/);
  });

  it('reads and serves only stored names: no traversal, no links', async () => {
    const images = store();
    const { path } = await images.save(png);
    for (const name of ['../config.json', '..%2fconfig.json', 'x.png', `${'a'.repeat(32)}.svg`, '']) expect(await images.file(name)).toBeUndefined();
    await expect(images.read('media/inbox/a.png')).rejects.toThrow(/is not a stored image/);
    await expect(images.read(`media/images/${'b'.repeat(32)}.png`)).rejects.toThrow(/no longer in the workspace/);
    // A link planted under a stored-looking name is not served.
    const secret = join(workspace, 'secret.txt');
    await writeFile(secret, 'token');
    await symlink(secret, join(workspace, 'media', 'images', `${'c'.repeat(32)}.png`));
    expect(await images.file(`${'c'.repeat(32)}.png`)).toBeUndefined();
    expect(path).toBeTruthy();
  });

  it('refuses a media/images folder that is a link out of the workspace', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'outside-'));
    try {
      await mkdir(join(workspace, 'media'));
      await symlink(outside, join(workspace, 'media', 'images'));
      await expect(store().save(png)).rejects.toThrow(/is a link; files are not stored through links/);
      expect(await readdir(outside)).toEqual([]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
