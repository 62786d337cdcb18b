import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeNewFile } from '../../../src/security/write-new-file.js';

describe('writeNewFile: a file written once, whole or not at all', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kairos-new-file-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes bytes, or a file streamed in chunks, with its mode; never over a file that is there', async () => {
    const first = path.join(dir, 'a.bin');
    expect(await writeNewFile(first, new Uint8Array([1, 2, 3]), 0o600)).toBe(true);
    expect((await stat(first)).mode & 0o777).toBe(0o600 & ~process.umask());
    expect(await writeNewFile(first, new Uint8Array([9]))).toBe(false);
    expect([...(await readFile(first))]).toEqual([1, 2, 3]);

    // Several read chunks (64 KiB each), copied exactly.
    const source = path.join(dir, 'spooled.bin');
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    await writeFile(source, bytes);
    const copy = path.join(dir, 'copy.bin');
    expect(await writeNewFile(copy, { file: source }, 0o640)).toBe(true);
    expect((await readFile(copy)).equals(bytes)).toBe(true);
    expect((await stat(copy)).mode & 0o777).toBe(0o640 & ~process.umask());
    expect(await writeNewFile(copy, { file: first })).toBe(false);
    expect((await readFile(copy)).equals(bytes)).toBe(true);
    // No temporary file is left beside them.
    expect((await readdir(dir)).sort()).toEqual(['a.bin', 'copy.bin', 'spooled.bin']);
  });
});
