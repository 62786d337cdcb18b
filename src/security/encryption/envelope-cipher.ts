import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KairosError } from '../../trading/core/errors.js';
import type { FieldLocation, KeyProvider } from './key-provider.js';

const VERSION = 'kx1';
const KEY_ID = /^[A-Za-z0-9:/_+=@-]+$/;
const NAME = /^[A-Za-z0-9_-]+$/;
const NONCE = 12;
const TAG = 16;

/**
 * Field encryption: AES-256-GCM with a fresh random 256-bit data key per value, wrapped by a
 * `KeyProvider` (envelope encryption), a fresh 96-bit nonce per encryption, and the location
 * `table/column/rowId` as associated data. The result is one ASCII string:
 *
 * `kx1.<keyId>.<wrapped data key>.<nonce>.<ciphertext>.<tag>` (binary parts base64url)
 *
 * Older master keys stay readable by passing their providers as `previous` (or, for keys only
 * known when a value names them, such as a KMS key ARN, a `resolve` function); `rewrap` moves a
 * value to a new master key by re-wrapping its data key only.
 *
 * @example
 * const cipher = new EnvelopeCipher(await LocalKeyProvider.open(file));
 * const at = { table: 'exchange_credentials', column: 'secret', rowId: '42' };
 * const stored = await cipher.encrypt('s3cr3t', at);
 * (await cipher.decrypt(stored, at)).toString('utf8'); // 's3cr3t'
 */
export class EnvelopeCipher {
  private readonly providers: ReadonlyMap<string, KeyProvider>;

  constructor(
    private readonly provider: KeyProvider,
    previous: readonly KeyProvider[] = [],
    /** The provider of a key id that is neither current nor previous (undefined: unknown). */
    private readonly resolve: (keyId: string) => KeyProvider | undefined = () => undefined,
  ) {
    for (const p of [provider, ...previous]) {
      if (!KEY_ID.test(p.keyId)) {
        throw new KairosError(
          'ENCRYPTION_FORMAT',
          `key id "${p.keyId}": letters, digits and :/_+=@- only`,
        );
      }
    }
    this.providers = new Map([...previous, provider].map((p) => [p.keyId, p]));
  }

  /** Encrypts a value (text is UTF-8) for one row and column. */
  async encrypt(plaintext: string | Uint8Array, at: FieldLocation): Promise<string> {
    const aad = associatedData(at);
    const dataKey = randomBytes(32);
    try {
      const wrapped = await this.provider.wrap(dataKey, at);
      const nonce = randomBytes(NONCE);
      const c = createCipheriv('aes-256-gcm', dataKey, nonce);
      c.setAAD(aad);
      const body = Buffer.concat([
        c.update(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext),
        c.final(),
      ]);
      return [
        VERSION,
        this.provider.keyId,
        b64(wrapped),
        b64(nonce),
        b64(body),
        b64(c.getAuthTag()),
      ].join('.');
    } finally {
      dataKey.fill(0);
    }
  }

  /** Decrypts a value stored at `at`; throws `ENCRYPTION_DECRYPT_FAILED` when it was not made for it. */
  async decrypt(envelope: string, at: FieldLocation): Promise<Buffer> {
    const aad = associatedData(at);
    const e = parse(envelope);
    const dataKey = Buffer.from(await this.providerFor(e.keyId).unwrap(e.wrapped, at));
    try {
      const d = createDecipheriv('aes-256-gcm', dataKey, e.nonce);
      d.setAAD(aad);
      d.setAuthTag(e.tag);
      return Buffer.concat([d.update(e.body), d.final()]);
    } catch (cause) {
      throw new KairosError(
        'ENCRYPTION_DECRYPT_FAILED',
        `${aad.toString('utf8')}: the value does not authenticate (made for another row or column, or changed)`,
        { cause },
      );
    } finally /* Stryker disable next-line BlockStatement: equivalent, it wipes this call's own copy of the data key, which no caller can see (memory hygiene only) */ {
      dataKey.fill(0);
    }
  }

  /** Decrypts a value to UTF-8 text. */
  async decryptText(envelope: string, at: FieldLocation): Promise<string> {
    return (await this.decrypt(envelope, at)).toString('utf8');
  }

  /**
   * Re-wraps the value's data key under `next` (key rotation); nonce, ciphertext and tag stay.
   * The data key is unwrapped by whichever known provider wrapped it.
   */
  async rewrap(envelope: string, next: KeyProvider, at: FieldLocation): Promise<string> {
    associatedData(at);
    if (!KEY_ID.test(next.keyId)) {
      throw new KairosError(
        'ENCRYPTION_FORMAT',
        `key id "${next.keyId}": letters, digits and :/_+=@- only`,
      );
    }
    const e = parse(envelope);
    const dataKey = Buffer.from(await this.providerFor(e.keyId).unwrap(e.wrapped, at));
    try {
      const wrapped = await next.wrap(dataKey, at);
      return [VERSION, next.keyId, b64(wrapped), b64(e.nonce), b64(e.body), b64(e.tag)].join('.');
    } finally {
      dataKey.fill(0);
    }
  }

  /** The id of the master key that wraps a value (a re-wrap job skips values already on the new key). */
  keyIdOf(envelope: string): string {
    return parse(envelope).keyId;
  }

  private providerFor(keyId: string): KeyProvider {
    const p = this.providers.get(keyId) ?? this.resolve(keyId);
    if (p?.keyId !== keyId) {
      throw new KairosError(
        'ENCRYPTION_KEY_UNKNOWN',
        `the value is wrapped by master key "${keyId}", which is not configured`,
      );
    }
    return p;
  }
}

function associatedData(at: FieldLocation): Buffer {
  for (const k of ['table', 'column'] as const) {
    if (!NAME.test(at[k])) {
      throw new KairosError('ENCRYPTION_FORMAT', `${k} "${at[k]}": letters, digits, _ and - only`);
    }
  }
  if (at.rowId === '') throw new KairosError('ENCRYPTION_FORMAT', 'rowId: must not be empty');
  return Buffer.from(`${at.table}/${at.column}/${at.rowId}`, 'utf8');
}

interface Envelope {
  readonly keyId: string;
  readonly wrapped: Buffer;
  readonly nonce: Buffer;
  readonly body: Buffer;
  readonly tag: Buffer;
}

function parse(envelope: string): Envelope {
  const parts = envelope.split('.');
  const bad = (why: string) =>
    new KairosError('ENCRYPTION_FORMAT', `not an encrypted value (${why})`);
  if (parts[0] !== VERSION) throw bad(`version "${parts[0]?.slice(0, 8)}", expected ${VERSION}`);
  if (parts.length !== 6) throw bad(`${parts.length} parts, expected 6`);
  const [, keyId, wrapped, nonce, body, tag] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!KEY_ID.test(keyId)) throw bad('key id');
  for (const p of [wrapped, nonce, body, tag])
    if (!/^[A-Za-z0-9_-]*$/.test(p)) throw bad('not base64url');
  const e = {
    keyId,
    wrapped: Buffer.from(wrapped, 'base64url'),
    nonce: Buffer.from(nonce, 'base64url'),
    body: Buffer.from(body, 'base64url'),
    tag: Buffer.from(tag, 'base64url'),
  };
  if (e.nonce.length !== NONCE || e.tag.length !== TAG || e.wrapped.length === 0)
    throw bad('lengths');
  return e;
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}
