import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ObjectInfo } from '../cloud/object-store.js';
import { S3ObjectStore } from '../cloud/s3-object-store.js';
import { parseS3Url } from '../cloud/s3-url.js';
import { s3SettingsOf } from '../system/object-stores.js';
import { KairosError } from '../trading/core/errors.js';
import { cliConfig } from './cli-config.js';

/** An S3 object held as a local file while a command reads or grows it. */
export interface StagedObject {
  /** `s3://bucket/key`. */
  readonly url: string;
  /** The local copy, `$KAIROS_HOME/cache/s3/<bucket>/<key>` (the object's own file name). */
  readonly file: string;
  /** Whether the object existed (and was copied down). */
  readonly existed: boolean;
  /** Uploads the local file over the object (multipart when large), whole or not at all. */
  upload(): Promise<ObjectInfo>;
}

/**
 * Copies the object an `s3://bucket/key` URL names to a local file (checked against its
 * SHA-256), so the file readers and the resuming download work on it unchanged; `upload` puts
 * it back. `mustExist`: a missing object is `OBJECT_NOT_FOUND` (for `backtest --data`).
 *
 * @example
 * const staged = await stageObject('s3://data/binance/BTC_USDT-1m.json', { mustExist: true });
 * await runBacktest({ data: staged.file, ... });
 */
export async function stageObject(
  url: string,
  opts: { readonly mustExist: boolean },
): Promise<StagedObject> {
  const config = cliConfig();
  const { bucket, prefix: key } = parseS3Url(url);
  if (key === '') {
    throw new KairosError(
      'OBJECT_STORE_URL_INVALID',
      `"${url}": names a bucket, not a file (s3://bucket/path/file.json)`,
    );
  }
  const store = S3ObjectStore.open(`s3://${bucket}`, s3SettingsOf(config.objectStore));
  const file = path.join(config.home, 'cache', 's3', bucket, ...key.split('/'));
  await mkdir(path.dirname(file), { recursive: true });
  // The bucket is the truth: a copy left by an earlier run is replaced or removed.
  const existed = opts.mustExist || (await store.head(key)) !== null;
  if (existed) {
    const bytes = await store.get(key);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  } else {
    await rm(file, { force: true });
  }
  return {
    url: `s3://${bucket}/${key}`,
    file,
    existed,
    upload: () => store.put(key, { file }, { overwrite: true }),
  };
}
