import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One symmetric key of the local KMS. */
export interface LocalKmsKey {
  readonly keyId: string;
  readonly arn: string;
}

/** A request the endpoint answered: the operation, the key asked for, the encryption context. */
export interface LocalKmsCall {
  readonly operation: string;
  readonly keyId: string | undefined;
  readonly context: Record<string, string> | undefined;
  readonly error: string | undefined;
}

/** A running local KMS endpoint. */
export interface LocalKms {
  /** `http://127.0.0.1:<port>`: `AWS_ENDPOINT_URL_KMS`. */
  readonly url: string;
  readonly region: string;
  /** Every request, in order. */
  readonly calls: LocalKmsCall[];
  /** A new enabled key, with an alias (`alias/…`) when given. */
  createKey(alias?: string): LocalKmsKey;
  /** Disables (false) or enables (true) a key: a disabled key answers `DisabledException`. */
  setEnabled(keyId: string, enabled: boolean): void;
  /** Operations answered `AccessDeniedException` from now on (an IAM policy without them). */
  deny(...operations: string[]): void;
  close(): Promise<void>;
}

const ACCOUNT = '111122223333';
const BLOB_MAGIC = Buffer.from('LKMS1');
const NONCE = 12;
const TAG = 16;

interface Key {
  readonly keyId: string;
  readonly arn: string;
  readonly material: Buffer;
  readonly created: number;
  enabled: boolean;
}

/** An error answer: KMS's JSON protocol puts the type in `__type` and `x-amzn-errortype`. */
class KmsFault extends Error {
  constructor(
    readonly type: string,
    message: string | undefined,
    readonly status = 400,
  ) {
    super(message);
  }
}

/**
 * A local endpoint of AWS KMS's JSON protocol (AWS JSON 1.1, `X-Amz-Target: TrentService.<Op>`)
 * for the tests: `Encrypt`, `Decrypt`, `GenerateDataKey` and `DescribeKey` on symmetric keys held
 * in memory, so `@aws-sdk/client-kms` talks to it unchanged. It keeps KMS's documented behaviour
 * where Kairos relies on it: the ciphertext blob binds the key and the encryption context
 * (AES-256-GCM under the key's material, the key ARN and the canonical context as associated
 * data), so `Decrypt` with another context is `InvalidCiphertextException` (400); an unknown key
 * or alias is `NotFoundException`; a disabled key `DisabledException`; a `Decrypt` naming
 * another key than the blob's `IncorrectKeyException`; answers name the key by ARN. A request
 * must be signed (SigV4) for the endpoint's region, else `InvalidSignatureException` as AWS
 * answers a wrong region. Not a product component: `docs/decisions/local-kms.md`.
 *
 * @example
 * const kms = await startLocalKms();
 * const key = kms.createKey('alias/kairos');
 * // AWS_ENDPOINT_URL_KMS=kms.url, KMS_KEY_ID=alias/kairos
 */
export async function startLocalKms(opts: { region?: string } = {}): Promise<LocalKms> {
  const region = opts.region ?? 'us-east-1';
  const keys = new Map<string, Key>();
  const aliases = new Map<string, string>();
  const denied = new Set<string>();
  const calls: LocalKmsCall[] = [];
  const arnPrefix = `arn:aws:kms:${region}:${ACCOUNT}:`;

  /** A KeyId as KMS takes it: key id, key ARN, alias name or alias ARN. */
  const resolve = (id: unknown): Key => {
    if (typeof id !== 'string' || id === '') {
      throw new KmsFault(
        'ValidationException',
        '1 validation error detected: KeyId must not be null',
      );
    }
    let keyId = id;
    if (id.startsWith('arn:')) {
      if (!id.startsWith(arnPrefix)) throw new KmsFault('NotFoundException', `Invalid arn ${id}`);
      keyId = id.slice(arnPrefix.length);
    }
    if (keyId.startsWith('alias/')) {
      const target = aliases.get(keyId);
      if (target === undefined) {
        throw new KmsFault('NotFoundException', `Alias ${arnPrefix}${keyId} is not found.`);
      }
      keyId = target;
    } else if (keyId.startsWith('key/')) {
      keyId = keyId.slice(4);
    } else if (id.startsWith('arn:')) {
      throw new KmsFault('NotFoundException', `Invalid arn ${id}`);
    }
    const key = keys.get(keyId);
    if (!key)
      throw new KmsFault('NotFoundException', `Key '${arnPrefix}key/${keyId}' does not exist`);
    return key;
  };
  const usable = (key: Key): Key => {
    if (!key.enabled) throw new KmsFault('DisabledException', `${key.arn} is disabled.`);
    return key;
  };

  const handle = (operation: string, body: Record<string, unknown>): Record<string, unknown> => {
    if (denied.has(operation)) {
      throw new KmsFault(
        'AccessDeniedException',
        `User: arn:aws:iam::${ACCOUNT}:user/test is not authorized to perform: kms:${operation} because no identity-based policy allows the kms:${operation} action`,
      );
    }
    switch (operation) {
      case 'DescribeKey': {
        const key = resolve(body.KeyId);
        return {
          KeyMetadata: {
            AWSAccountId: ACCOUNT,
            KeyId: key.keyId,
            Arn: key.arn,
            CreationDate: key.created / 1000,
            Enabled: key.enabled,
            Description: '',
            KeyUsage: 'ENCRYPT_DECRYPT',
            KeyState: key.enabled ? 'Enabled' : 'Disabled',
            Origin: 'AWS_KMS',
            KeyManager: 'CUSTOMER',
            CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
            KeySpec: 'SYMMETRIC_DEFAULT',
            EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
            MultiRegion: false,
          },
        };
      }
      case 'Encrypt': {
        const key = usable(resolve(body.KeyId));
        const plaintext = bytes(body.Plaintext, 'Plaintext');
        if (plaintext.length < 1 || plaintext.length > 4096) {
          throw new KmsFault('ValidationException', 'Plaintext: length must be 1 to 4096 bytes');
        }
        return {
          CiphertextBlob: seal(key, plaintext, context(body)).toString('base64'),
          KeyId: key.arn,
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        };
      }
      case 'GenerateDataKey': {
        const key = usable(resolve(body.KeyId));
        const n =
          body.KeySpec === 'AES_256'
            ? 32
            : body.KeySpec === 'AES_128'
              ? 16
              : typeof body.NumberOfBytes === 'number'
                ? body.NumberOfBytes
                : 0;
        if (!Number.isInteger(n) || n < 1 || n > 1024) {
          throw new KmsFault(
            'ValidationException',
            'Please specify either number of bytes or key spec.',
          );
        }
        const plaintext = randomBytes(n);
        return {
          CiphertextBlob: seal(key, plaintext, context(body)).toString('base64'),
          Plaintext: plaintext.toString('base64'),
          KeyId: key.arn,
        };
      }
      case 'Decrypt': {
        const blob = bytes(body.CiphertextBlob, 'CiphertextBlob');
        const parsed = parseBlob(blob);
        const key = keys.get(parsed.keyId);
        if (!key) throw new KmsFault('InvalidCiphertextException', undefined);
        if (body.KeyId !== undefined && resolve(body.KeyId) !== key) {
          throw new KmsFault(
            'IncorrectKeyException',
            'The key ID in the request does not identify a CMK that can perform this operation.',
          );
        }
        usable(key);
        const plaintext = open(key, parsed, context(body));
        return {
          KeyId: key.arn,
          Plaintext: plaintext.toString('base64'),
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        };
      }
      default:
        throw new KmsFault('UnknownOperationException', undefined);
    }
  };

  const server = createServer((req, res) => {
    void serve(req, res);
  });
  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('TrentService.') ? target.slice(13) : '';
    let body: Record<string, unknown> = {};
    const answer = (status: number, payload: unknown, type?: string): void => {
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': randomUUID(),
        ...(type ? { 'x-amzn-errortype': type } : {}),
      });
      res.end(JSON.stringify(payload));
    };
    try {
      if (req.method !== 'POST' || !operation) {
        throw new KmsFault('UnknownOperationException', undefined);
      }
      const auth = String(req.headers.authorization ?? '');
      const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/kms\/aws4_request/.exec(auth);
      if (!scope)
        throw new KmsFault('MissingAuthenticationTokenException', 'Missing Authentication Token');
      if (scope[1] !== region) {
        throw new KmsFault(
          'InvalidSignatureException',
          `Credential should be scoped to a valid region, not '${scope[1]}'. `,
        );
      }
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<
          string,
          unknown
        >;
      } catch {
        throw new KmsFault(
          'SerializationException',
          'Start of structure or map found where not expected.',
        );
      }
      const out = handle(operation, body);
      calls.push({ operation, keyId: str(body.KeyId), context: ctx(body), error: undefined });
      answer(200, out);
    } catch (e) {
      const f = e instanceof KmsFault ? e : new KmsFault('KMSInternalException', String(e), 500);
      calls.push({ operation, keyId: str(body.KeyId), context: ctx(body), error: f.type });
      answer(f.status, { __type: f.type, ...(f.message ? { message: f.message } : {}) }, f.type);
    }
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    region,
    calls,
    createKey(alias) {
      const keyId = randomUUID();
      const key: Key = {
        keyId,
        arn: `${arnPrefix}key/${keyId}`,
        material: randomBytes(32),
        created: Date.now(),
        enabled: true,
      };
      keys.set(keyId, key);
      if (alias !== undefined) aliases.set(alias, keyId);
      return { keyId, arn: key.arn };
    },
    setEnabled(keyId, enabled) {
      resolve(keyId).enabled = enabled;
    },
    deny(...operations) {
      for (const o of operations) denied.add(o);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function ctx(body: Record<string, unknown>): Record<string, string> | undefined {
  const c = body.EncryptionContext;
  return c && typeof c === 'object' ? (c as Record<string, string>) : undefined;
}

function bytes(v: unknown, field: string): Buffer {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) {
    throw new KmsFault('ValidationException', `${field}: must be base64`);
  }
  return Buffer.from(v, 'base64');
}

/** The encryption context, canonical (sorted pairs), as KMS binds it. */
function context(body: Record<string, unknown>): Buffer {
  const c = body.EncryptionContext ?? {};
  if (typeof c !== 'object' || c === null || Array.isArray(c)) {
    throw new KmsFault('SerializationException', 'EncryptionContext: must be a map');
  }
  const pairs = Object.entries(c as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
  for (const [, v] of pairs) {
    if (typeof v !== 'string')
      throw new KmsFault('SerializationException', 'EncryptionContext: values are strings');
  }
  return Buffer.from(JSON.stringify(pairs), 'utf8');
}

interface Blob {
  readonly keyId: string;
  readonly nonce: Buffer;
  readonly body: Buffer;
  readonly tag: Buffer;
}

/** `LKMS1 | len | keyId | nonce | ciphertext | tag`: the blob names its key, as KMS's does. */
function seal(key: Key, plaintext: Buffer, aad: Buffer): Buffer {
  const nonce = randomBytes(NONCE);
  const c = createCipheriv('aes-256-gcm', key.material, nonce);
  c.setAAD(Buffer.concat([Buffer.from(`${key.arn}\n`), aad]));
  const body = Buffer.concat([c.update(plaintext), c.final()]);
  const id = Buffer.from(key.keyId, 'utf8');
  return Buffer.concat([BLOB_MAGIC, Buffer.from([id.length]), id, nonce, body, c.getAuthTag()]);
}

function parseBlob(blob: Buffer): Blob {
  const bad = () => new KmsFault('InvalidCiphertextException', undefined);
  if (
    blob.length < BLOB_MAGIC.length + 1 ||
    !blob.subarray(0, BLOB_MAGIC.length).equals(BLOB_MAGIC)
  ) {
    throw bad();
  }
  const n = blob[BLOB_MAGIC.length]!;
  const at = BLOB_MAGIC.length + 1;
  if (blob.length < at + n + NONCE + TAG + 1) throw bad();
  return {
    keyId: blob.subarray(at, at + n).toString('utf8'),
    nonce: blob.subarray(at + n, at + n + NONCE),
    body: blob.subarray(at + n + NONCE, blob.length - TAG),
    tag: blob.subarray(blob.length - TAG),
  };
}

function open(key: Key, blob: Blob, aad: Buffer): Buffer {
  try {
    const d = createDecipheriv('aes-256-gcm', key.material, blob.nonce);
    d.setAAD(Buffer.concat([Buffer.from(`${key.arn}\n`), aad]));
    d.setAuthTag(blob.tag);
    return Buffer.concat([d.update(blob.body), d.final()]);
  } catch {
    throw new KmsFault('InvalidCiphertextException', undefined);
  }
}
