import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  HeadObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { KairosError } from '../trading/core/errors.js';
import { checkChecksum, checkDigest, sha256Of } from './object-checksum.js';
import { checkKey } from './object-key.js';
import type {
  GetOptions,
  ObjectBody,
  ObjectInfo,
  ObjectLock,
  ObjectLockStatus,
  ObjectReader,
  ObjectStore,
  PutOptions,
} from './object-store.js';
import { s3Failure } from './s3-errors.js';
import { s3Client, type S3Settings } from './s3-settings.js';
import { parseS3Url, s3Url, type S3Location } from './s3-url.js';

/** Sizes for multipart uploads (bytes). */
export interface MultipartSizes {
  /** Objects larger than this go up in parts through `@aws-sdk/lib-storage` (default 16 MiB). */
  readonly threshold?: number;
  /** The size of each part (default 8 MiB; S3's minimum is 5 MiB). */
  readonly partSize?: number;
}

const MiB = 1024 * 1024;
/** The user metadata key (`x-amz-meta-sha256`) that carries the content's SHA-256, hex. */
const SHA_META = 'sha256';
/** Answers meaning "this bucket has no Object Lock configuration" (S3, and servers without it). */
const NO_LOCK = new Set([
  'ObjectLockConfigurationNotFoundError',
  'NotImplemented',
  'MethodNotAllowed',
]);

/**
 * The `ObjectStore` in an S3 bucket under a prefix (`s3://bucket/prefix`). Each put records the
 * content's SHA-256 as user metadata (`x-amz-meta-sha256`) and, for a single PUT, sends it as
 * `x-amz-checksum-sha256` so S3 itself refuses a body damaged on the way; each get checks it.
 * Objects above `threshold` go up as a multipart upload (`@aws-sdk/lib-storage`), which S3
 * assembles only when every part arrived: a failed upload leaves no object. A put refuses an
 * existing key (checked first, and `If-None-Match: *` where S3 supports it) unless `overwrite`.
 * A locked put writes `x-amz-object-lock-mode: COMPLIANCE` and the retain-until date.
 *
 * @example
 * const store = S3ObjectStore.open('s3://kairos-audit/exports', { region: 'eu-west-1' });
 * const { versionId } = await store.put('manifest.json', bytes, { lock });
 */
export class S3ObjectStore implements ObjectStore {
  readonly location: string;
  readonly #threshold: number;
  readonly #partSize: number;

  constructor(
    readonly where: S3Location,
    /** The SDK client (tests add middleware to it to see the requests). */
    readonly client: S3Client,
    sizes: MultipartSizes = {},
  ) {
    this.location = s3Url(where);
    this.#partSize = Math.max(5 * MiB, sizes.partSize ?? 8 * MiB);
    this.#threshold = sizes.threshold ?? 16 * MiB;
  }

  /** A store for an `s3://bucket/prefix` URL (`OBJECT_STORE_URL_INVALID` when it is not one). */
  static open(url: string, settings: S3Settings, sizes?: MultipartSizes): S3ObjectStore {
    return new S3ObjectStore(parseS3Url(url), s3Client(settings), sizes);
  }

  async put(key: string, body: ObjectBody, options: PutOptions = {}): Promise<ObjectInfo> {
    const url = this.#url(key);
    const sha256 = await sha256Of(body);
    const size = body instanceof Uint8Array ? body.length : (await stat(body.file)).size;
    // A missing bucket is told by the PUT itself: no GET to tell it from a missing key here.
    if (!options.overwrite && (await this.#head(key)) !== null) {
      throw new KairosError('OBJECT_EXISTS', `${url} exists; objects are never overwritten`);
    }
    const params: PutObjectCommandInput = {
      Bucket: this.where.bucket,
      Key: this.#key(key),
      Metadata: { [SHA_META]: sha256 },
      ...(options.contentType ? { ContentType: options.contentType } : {}),
      ...lockParams(options.lock),
    };
    let versionId: string | undefined;
    try {
      if (size <= this.#threshold) {
        const bytes = body instanceof Uint8Array ? body : await readFile(body.file);
        const out = await this.client.send(
          new PutObjectCommand({
            ...params,
            Body: bytes,
            ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
            ...(options.overwrite ? {} : { IfNoneMatch: '*' }),
          }),
        );
        versionId = out.VersionId;
      } else {
        const upload = new Upload({
          client: this.client,
          params: {
            ...params,
            Body: body instanceof Uint8Array ? body : createReadStream(body.file),
            // S3 wants a checksum on every part of a locked object.
            ...(options.lock ? { ChecksumAlgorithm: 'SHA256' as const } : {}),
          },
          partSize: this.#partSize,
          queueSize: 4,
          leavePartsOnError: false,
        });
        versionId = (await upload.done()).VersionId;
      }
    } catch (e) {
      if (httpStatus(e) === 412) {
        throw new KairosError('OBJECT_EXISTS', `${url} exists; objects are never overwritten`, {
          cause: e,
        });
      }
      throw s3Failure(e, 'put', url);
    }
    return {
      key,
      bytes: size,
      sha256,
      ...(versionId ? { versionId } : {}),
      ...(options.lock ? { lock: options.lock } : {}),
    };
  }

  async get(key: string, options: GetOptions = {}): Promise<Uint8Array> {
    const url = this.#url(key);
    try {
      const out = await this.client.send(
        new GetObjectCommand({
          Bucket: this.where.bucket,
          Key: this.#key(key),
          ...(options.versionId ? { VersionId: options.versionId } : {}),
        }),
      );
      const bytes = await out.Body!.transformToByteArray();
      checkChecksum(url, bytes, { recorded: out.Metadata?.[SHA_META], expected: options.sha256 });
      return bytes;
    } catch (e) {
      throw s3Failure(e, 'get', url);
    }
  }

  /**
   * A HEAD (at the version asked for) gives the size and the ETag; the GET is sent only when the
   * bytes are iterated, pinned to that ETag (`If-Match`), so the bytes read are those of the
   * object whose size was checked: one replaced in between fails with `OBJECT_CHANGED` (S3's
   * 412) before any byte of it is read. The body is hashed as it streams, then checked like
   * `get`'s; `digest()` answers that hash, so a reader need not hash the bytes again.
   */
  async stream(key: string, options: GetOptions = {}): Promise<ObjectReader | null> {
    const url = this.#url(key);
    const target = {
      Bucket: this.where.bucket,
      Key: this.#key(key),
      ...(options.versionId ? { VersionId: options.versionId } : {}),
    };
    let size: number;
    let etag: string | undefined;
    try {
      const out = await this.client.send(new HeadObjectCommand(target));
      size = out.ContentLength ?? 0;
      etag = out.ETag;
    } catch (e) {
      const failure = s3Failure(e, 'head', url);
      if (failure.code !== 'OBJECT_NOT_FOUND') throw failure;
      await this.#bucketOrKey(target, url);
      return null;
    }
    const client = this.client;
    let digest: string | null = null;
    return {
      bytes: size,
      digest: () => digest,
      async *chunks() {
        const hash = createHash('sha256');
        let recorded: string | undefined;
        try {
          const out = await client.send(
            new GetObjectCommand({ ...target, ...(etag ? { IfMatch: etag } : {}) }),
          );
          recorded = out.Metadata?.[SHA_META];
          for await (const chunk of out.Body as AsyncIterable<Uint8Array>) {
            hash.update(chunk);
            yield chunk;
          }
        } catch (e) {
          if (httpStatus(e) === 412) {
            throw new KairosError(
              'OBJECT_CHANGED',
              `get ${url}: the object changed after its size was read (its ETag is no longer ${etag}); nothing of the new one was read: read it again`,
              { cause: e },
            );
          }
          throw s3Failure(e, 'get', url);
        }
        digest = checkDigest(url, hash.digest('hex'), { recorded, expected: options.sha256 });
      },
    };
  }

  /**
   * The object's size, checksum and version (a HEAD); null when there is no such object. A
   * missing bucket is an error (`OBJECT_STORE_BUCKET_MISSING`), never an absent object.
   */
  async head(key: string): Promise<ObjectInfo | null> {
    const found = await this.#head(key);
    if (found === null) {
      await this.#bucketOrKey({ Bucket: this.where.bucket, Key: this.#key(key) }, this.#url(key));
    }
    return found;
  }

  /**
   * A HEAD: the object's info, or null on a 404 (a HEAD's 404 has no body, so a missing bucket
   * reads the same: callers tell them apart with `#bucketOrKey`).
   */
  async #head(key: string): Promise<ObjectInfo | null> {
    try {
      const out = await this.client.send(
        new HeadObjectCommand({ Bucket: this.where.bucket, Key: this.#key(key) }),
      );
      const lock: ObjectLock | undefined =
        out.ObjectLockMode === 'COMPLIANCE' && out.ObjectLockRetainUntilDate
          ? { mode: 'COMPLIANCE', retainUntil: out.ObjectLockRetainUntilDate.getTime() }
          : undefined;
      return {
        key,
        bytes: out.ContentLength ?? 0,
        sha256: out.Metadata?.[SHA_META] ?? null,
        ...(out.VersionId ? { versionId: out.VersionId } : {}),
        ...(lock ? { lock } : {}),
      };
    } catch (e) {
      const failure = s3Failure(e, 'head', this.#url(key));
      if (failure.code === 'OBJECT_NOT_FOUND') return null;
      throw failure;
    }
  }

  /**
   * After a HEAD's 404: a GET tells a missing bucket (`NoSuchBucket`, thrown) from a missing key
   * (returns). Only `s3:GetObject` is needed (a `HeadBucket` would need `s3:ListBucket`).
   */
  async #bucketOrKey(
    target: { Bucket: string; Key: string; VersionId?: string },
    url: string,
  ): Promise<void> {
    try {
      const out = await this.client.send(new GetObjectCommand(target));
      // The object appeared since the HEAD: the HEAD's answer stands.
      (out.Body as { destroy?: () => void } | undefined)?.destroy?.();
    } catch (e) {
      const why = s3Failure(e, 'head', url);
      if (why.code !== 'OBJECT_NOT_FOUND') throw why;
    }
  }

  async list(prefix = ''): Promise<ObjectInfo[]> {
    const base = this.where.prefix ? `${this.where.prefix}/` : '';
    const out: ObjectInfo[] = [];
    try {
      const pages = paginateListObjectsV2(
        { client: this.client },
        { Bucket: this.where.bucket, Prefix: base + prefix },
      );
      for await (const page of pages) {
        for (const o of page.Contents ?? []) {
          if (o.Key === undefined) continue;
          out.push({ key: o.Key.slice(base.length), bytes: o.Size ?? 0, sha256: null });
        }
      }
    } catch (e) {
      throw s3Failure(e, 'list', this.#url(prefix || undefined));
    }
    return out;
  }

  async objectLock(): Promise<ObjectLockStatus> {
    try {
      const out = await this.client.send(
        new GetObjectLockConfigurationCommand({ Bucket: this.where.bucket }),
      );
      const config = out.ObjectLockConfiguration;
      if (config?.ObjectLockEnabled !== 'Enabled') return { enabled: false };
      const r = config.Rule?.DefaultRetention;
      const days = r?.Days ?? (r?.Years !== undefined ? r.Years * 365 : undefined);
      return { enabled: true, ...(days !== undefined ? { defaultRetentionDays: days } : {}) };
    } catch (e) {
      const err = e as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
      if (NO_LOCK.has(err.Code ?? err.name ?? '') || err.$metadata?.httpStatusCode === 501) {
        return { enabled: false };
      }
      throw s3Failure(
        e,
        'read the Object Lock configuration of',
        s3Url({ ...this.where, prefix: '' }),
      );
    }
  }

  #key(key: string): string {
    checkKey(key);
    return this.where.prefix ? `${this.where.prefix}/${key}` : key;
  }

  #url(key?: string): string {
    return s3Url(this.where, key);
  }
}

/** The HTTP status of an SDK failure, when it has one. */
function httpStatus(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

function lockParams(lock: ObjectLock | undefined): Partial<PutObjectCommandInput> {
  return lock
    ? { ObjectLockMode: lock.mode, ObjectLockRetainUntilDate: new Date(lock.retainUntil) }
    : {};
}
