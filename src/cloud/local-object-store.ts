import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, copyFile } from 'node:fs/promises';
import path from 'node:path';
import { KairosError } from '../trading/core/errors.js';
import { openUnchanged } from '../security/open-unchanged.js';
import { writeNewFile } from '../security/write-new-file.js';
import { checkChecksum, checkDigest, sha256Of } from './object-checksum.js';
import { checkKey } from './object-key.js';
import type {
  GetOptions,
  ObjectBody,
  ObjectInfo,
  ObjectLockStatus,
  ObjectReader,
  ObjectStore,
  PutOptions,
} from './object-store.js';

/**
 * The `ObjectStore` in a local folder (the embedded default, under `$KAIROS_HOME`). An object is
 * a file at its key; nothing is written beside it, so an export folder holds exactly its files.
 * Writes go to a temporary file, synced, then linked (write-once) or renamed (`overwrite`) into
 * place: a reader never sees half a file. A file has no metadata to record a checksum in, so its
 * checksum is computed from its bytes (`head`) and `get` checks it against the one the caller
 * expects. A folder has no Object Lock: a locked put is refused (`OBJECT_LOCK_MISSING`).
 *
 * @example
 * const store = new LocalObjectStore(path.join(home, 'objects'));
 * await store.put('reports/a.json', bytes);
 */
export class LocalObjectStore implements ObjectStore {
  readonly location: string;

  constructor(readonly root: string) {
    this.location = path.resolve(root);
  }

  async put(key: string, body: ObjectBody, options: PutOptions = {}): Promise<ObjectInfo> {
    const file = this.#file(key);
    if (options.lock) {
      throw new KairosError(
        'OBJECT_LOCK_MISSING',
        `${this.location}: a local folder has no Object Lock`,
      );
    }
    await mkdir(path.dirname(file), { recursive: true });
    const bytes = body instanceof Uint8Array ? body : null;
    if (!options.overwrite) {
      const created = await writeNewFile(file, body);
      if (!created) {
        throw new KairosError('OBJECT_EXISTS', `${file} exists; objects are never overwritten`);
      }
    } else {
      const tmp = `${file}.${process.pid}.tmp`;
      try {
        if (bytes) await writeNewFile(tmp, bytes);
        else await copyFile((body as { file: string }).file, tmp);
        await rename(tmp, file);
      } finally {
        await rm(tmp, { force: true });
      }
    }
    return { key, bytes: (await stat(file)).size, sha256: await sha256Of(body) };
  }

  async get(key: string, options: GetOptions = {}): Promise<Uint8Array> {
    const file = this.#file(key);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new KairosError('OBJECT_NOT_FOUND', `${file}: no such object`, { cause: e });
      }
      throw e;
    }
    checkChecksum(file, bytes, { expected: options.sha256 });
    return bytes;
  }

  /**
   * The file's size from `stat` (null when it is not a regular file, as `head`), then its bytes;
   * a file replaced or rewritten in between (another inode, size or modification time) fails
   * with `OBJECT_CHANGED` before any byte is read.
   */
  async stream(key: string, options: GetOptions = {}): Promise<ObjectReader | null> {
    const file = this.#file(key);
    let seen: Stats;
    try {
      seen = await stat(file);
      if (!seen.isFile()) return null;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    let digest: string | null = null;
    return {
      bytes: seen.size,
      digest: () => digest,
      async *chunks() {
        const handle = await openUnchanged(file, seen);
        if (!handle) {
          throw new KairosError(
            'OBJECT_CHANGED',
            `${file}: the file changed after its size was read; nothing of the new one was read: read it again`,
          );
        }
        const hash = createHash('sha256');
        // The stream closes the handle when it ends or is destroyed.
        for await (const chunk of handle.createReadStream({ highWaterMark: 1024 * 1024 })) {
          hash.update(chunk as Buffer);
          yield chunk as Buffer;
        }
        digest = checkDigest(file, hash.digest('hex'), { expected: options.sha256 });
      },
    };
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const file = this.#file(key);
    try {
      const s = await stat(file);
      if (!s.isFile()) return null;
      return { key, bytes: s.size, sha256: await sha256Of({ file }) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async list(prefix = ''): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw e;
      }
      for (const entry of entries) {
        const key = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory()) await walk(path.join(dir, entry.name), key);
        else if (entry.isFile() && key.startsWith(prefix) && !entry.name.endsWith('.tmp')) {
          out.push({ key, bytes: (await stat(path.join(dir, entry.name))).size, sha256: null });
        }
      }
    };
    await walk(this.location, '');
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  objectLock(): Promise<ObjectLockStatus> {
    return Promise.resolve({ enabled: false });
  }

  #file(key: string): string {
    return path.join(this.location, ...checkKey(key).split('/'));
  }
}
