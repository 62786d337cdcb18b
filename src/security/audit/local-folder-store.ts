import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { KairosError } from '../../trading/core/errors.js';
import { writeNewFile } from '../write-new-file.js';
import type { ExportStore } from './export-store.js';

const SAFE_KEY = /^(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._\-/]+$/;

/**
 * An `ExportStore` in a local folder. Each object is written to a temporary file, synced and
 * linked into place, so a reader never sees half a file and an existing object is never replaced
 * (`AUDIT_EXPORT_EXISTS`), the local stand-in for write-once storage.
 *
 * @example
 * const store = new LocalFolderStore('exports/2024-01');
 * await store.put('manifest.json', bytes);
 */
export class LocalFolderStore implements ExportStore {
  constructor(readonly root: string) {}

  async put(key: string, bytes: Uint8Array): Promise<void> {
    if (!SAFE_KEY.test(key) || key.startsWith('/')) {
      throw new KairosError(
        'AUDIT_EXPORT_INVALID',
        `object key "${key}": not a safe relative name`,
      );
    }
    const file = path.join(this.root, ...key.split('/'));
    await mkdir(path.dirname(file), { recursive: true });
    if (!(await writeNewFile(file, bytes))) {
      throw new KairosError('AUDIT_EXPORT_EXISTS', `${file} exists; exports are never overwritten`);
    }
  }
}
