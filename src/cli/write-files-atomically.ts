import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** A file to write: its name in the folder and its content (text, or chunks as they come). */
export interface FileToWrite {
  readonly name: string;
  readonly data: string | AsyncIterable<string> | Iterable<string>;
}

/**
 * Writes files so that a reader (or a rerun) never sees a half-written one: each goes to a
 * temporary name in the same folder and is flushed to disk; only when every one is complete are
 * they renamed over the final names (a rename is atomic on one file system). A kill or an error
 * before that leaves the previous files untouched; temporaries of a failed write are removed.
 * Hand-written rather than `write-file-atomic` because the renames must wait for every file.
 *
 * @example
 * await writeFilesAtomically(dir, [{ name: 'report.json', data: json }, { name: 'report.html', data: html }]);
 */
export async function writeFilesAtomically(
  dir: string,
  files: readonly FileToWrite[],
): Promise<string[]> {
  const temps: string[] = [];
  try {
    for (const f of files) {
      const tmp = path.join(dir, `.${f.name}.${process.pid}.tmp`);
      temps.push(tmp);
      const handle = await open(tmp, 'w');
      try {
        if (typeof f.data === 'string') await handle.writeFile(f.data);
        else for await (const chunk of f.data) await handle.write(chunk);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  } catch (e) {
    await Promise.all(temps.map((t) => rm(t, { force: true })));
    throw e;
  }
  const finals = files.map((f) => path.join(dir, f.name));
  for (let i = 0; i < files.length; i++) await rename(temps[i]!, finals[i]!);
  return finals;
}
