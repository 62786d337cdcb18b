import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { link, open, unlink } from 'node:fs/promises';

/**
 * Writes `bytes` (or the bytes of the file `{ file }`, streamed, never held whole) to `file` only
 * if no file is there: to a temporary file (with `mode`, less the umask), synced,
 * then hard-linked into place, so a reader never sees half a file and an existing one is never
 * replaced. Answers whether it created the file (false: one was already there). The folder must
 * exist.
 *
 * @example
 * if (!(await writeNewFile('exports/manifest.json', bytes))) throw new Error('exists');
 */
export async function writeNewFile(
  file: string,
  bytes: Uint8Array | { readonly file: string },
  mode = 0o666,
): Promise<boolean> {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', mode);
  try {
    if (bytes instanceof Uint8Array) await fh.writeFile(bytes);
    else for await (const chunk of createReadStream(bytes.file)) await fh.write(chunk as Buffer);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await link(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await unlink(tmp);
  }
}
