import { LocalObjectStore } from '../cloud/local-object-store.js';
import type { ObjectStore } from '../cloud/object-store.js';
import { S3ObjectStore, type MultipartSizes } from '../cloud/s3-object-store.js';
import type { S3Settings } from '../cloud/s3-settings.js';
import { isS3Url } from '../cloud/s3-url.js';
import type { ExportSource } from '../security/audit/export-store.js';
import type { ObjectStoreSettings } from './config.js';

/** The S3 client settings of the config (credentials: the SDK's default chain). */
export function s3SettingsOf(settings: ObjectStoreSettings): S3Settings {
  return {
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.region ? { region: settings.region } : {}),
    forcePathStyle: settings.forcePathStyle,
  };
}

/**
 * The object store a path or URL names: `s3://bucket/prefix` is S3 (the config's endpoint and
 * region), anything else a local folder. Every command that takes a path takes an S3 URL
 * through this.
 *
 * @example
 * const store = openObjectStore('s3://kairos/reports', config.objectStore);
 */
export function openObjectStore(
  location: string,
  settings: ObjectStoreSettings,
  sizes?: MultipartSizes,
): ObjectStore {
  return isS3Url(location)
    ? S3ObjectStore.open(location, s3SettingsOf(settings), sizes)
    : new LocalObjectStore(location);
}

/**
 * An object store as the source `verifyExport` reads: each file at the version the manifest
 * records, its size first (a HEAD), then its bytes streamed (pinned to the object whose size was
 * read) and checked against the store's recorded checksum, hashed once: the verifier takes the
 * store's digest; an absent object reads as null.
 *
 * @example
 * const report = await verifyExport(exportSource(store), publicKeyPem);
 */
export function exportSource(store: ObjectStore): ExportSource {
  return {
    location: store.location,
    open: async (name, versionId) => {
      const object = await store.stream(name, versionId ? { versionId } : {});
      return (
        object && {
          size: object.bytes,
          chunks: () => object.chunks(),
          digest: () => object.digest(),
        }
      );
    },
  };
}
