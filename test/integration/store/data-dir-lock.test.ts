import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openStore } from '../../../src/store/open-store.js';
import { pgliteFolderTemplate } from '../../support/stores.js';
import { tempDir } from '../../support/temp-dir.js';

describe('the embedded store folder', () => {
  let dir: string;
  beforeEach(async () => {
    dir = path.join(tempDir('kairos-lock-'), 'db');
  });

  it('is taken by one opener at a time, and free again once closed', async () => {
    const first = await openStore({ ...pgliteFolderTemplate(), dataDir: dir });
    await expect(openStore({ ...pgliteFolderTemplate(), dataDir: dir })).rejects.toMatchObject({
      code: 'STORE_LOCKED',
      message: expect.stringContaining(`process ${process.pid} (this one)`),
    });
    await first.close();
    const again = await openStore({ ...pgliteFolderTemplate(), dataDir: dir });
    expect(await readFile(`${dir}.lock`, 'utf8')).toBe(String(process.pid));
    await again.close();
  });

  it('refuses while another live process holds it, and takes over from a dead one', async () => {
    const other = spawn(process.execPath, ['-e', 'process.stdin.resume()'], { stdio: 'pipe' });
    const pid = other.pid!;
    await writeFile(`${dir}.lock`, String(pid));
    await expect(openStore({ ...pgliteFolderTemplate(), dataDir: dir })).rejects.toMatchObject({
      code: 'STORE_LOCKED',
      message: expect.stringContaining(`in use by process ${pid}:`),
    });
    const exited = new Promise((r) => other.once('exit', r));
    other.kill('SIGKILL');
    await exited;
    const store = await openStore({ ...pgliteFolderTemplate(), dataDir: dir });
    expect(await readFile(`${dir}.lock`, 'utf8')).toBe(String(process.pid));
    await store.close();
  });
});
