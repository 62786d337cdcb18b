import type { Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/**
 * Opens for reading the file that `stat` answered `seen` for, only if it is still that file:
 * the same inode, size and modification time. Answers null when it is gone or is another one
 * (replaced by a rename, rewritten in place), so a reader that checked the size reads the bytes
 * of the file it checked, or none.
 *
 * @example
 * const seen = await stat(file);
 * const handle = await openUnchanged(file, seen); // null: changed since the stat
 */
export async function openUnchanged(file: string, seen: Stats): Promise<FileHandle | null> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const now = await handle.stat();
  if (now.ino === seen.ino && now.size === seen.size && now.mtimeMs === seen.mtimeMs) {
    return handle;
  }
  await handle.close();
  return null;
}
