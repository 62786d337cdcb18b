import { open, readFile, unlink } from 'node:fs/promises';
import { KairosError } from '../trading/core/errors.js';

/**
 * Takes the embedded store's folder for this process: PGlite is single-process, and a second
 * process opening the same folder would corrupt it. The lock is a file beside the folder holding
 * the owner's pid; a lock whose process is gone (killed, crashed) is taken over at once. (By
 * hand rather than a lock library: those detect staleness by a timeout, which would keep a node
 * restarted after a kill waiting.) Throws `STORE_LOCKED` naming the holder; answers the release.
 *
 * @example
 * const release = await lockDataDir('var/db'); ...; await release();
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = `${dataDir}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => unlink(file).catch(() => undefined);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && alive(holder)) {
      throw new KairosError(
        'STORE_LOCKED',
        `${dataDir} is in use by process ${holder}${holder === process.pid ? ' (this one)' : ''}: the embedded store takes one process at a time; stop the other (a running kairos serve?) or set DATABASE_URL to share a Postgres`,
      );
    }
    await unlink(file).catch(() => undefined); // its process is gone
  }
  throw new KairosError('STORE_LOCKED', `${dataDir}: could not take ${file}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
