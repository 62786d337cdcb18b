import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { KairosError } from '../../trading/core/errors.js';
import type { FieldLocation, KeyProvider } from './key-provider.js';
import { readOrCreateSecretFile } from './secret-file.js';

const NONCE = 12;
const TAG = 16;

/**
 * A `KeyProvider` whose 256-bit master key is a file (base64, mode 0600), made on first use:
 * `$KAIROS_HOME/keys/master.key` in an embedded install. Data keys are wrapped with AES-256-GCM,
 * a fresh 96-bit nonce each, the location as associated data. Losing the file loses every
 * encrypted field: back it up apart from the database.
 *
 * @example
 * const keys = await LocalKeyProvider.open(path.join(home, 'keys', 'master.key'));
 */
export class LocalKeyProvider implements KeyProvider {
  private constructor(
    private readonly key: Buffer,
    readonly keyId: string,
  ) {}

  /** Loads the master key from `file`, creating it when missing. */
  static async open(file: string): Promise<LocalKeyProvider> {
    const text = await readOrCreateSecretFile(file, () =>
      Buffer.from(`${randomBytes(32).toString('base64')}\n`),
    );
    // Stryker disable next-line MethodExpression: equivalent, base64 decoding skips the whitespace trim() removes
    const key = Buffer.from(text.toString('utf8').trim(), 'base64');
    if (key.length !== 32) {
      throw new KairosError('KEY_FILE_INVALID', `${file}: must hold 32 bytes in base64`);
    }
    return LocalKeyProvider.fromKey(key);
  }

  /** A provider over a key in memory (tests, tools). */
  static fromKey(key: Uint8Array): LocalKeyProvider {
    if (key.length !== 32) throw new KairosError('KEY_FILE_INVALID', 'a master key is 32 bytes');
    const id = createHash('sha256').update('kairos-local-key-id').update(key).digest('hex');
    return new LocalKeyProvider(Buffer.from(key), `local-${id.slice(0, 16)}`);
  }

  async wrap(dataKey: Uint8Array, at: FieldLocation): Promise<Uint8Array> {
    const nonce = randomBytes(NONCE);
    const c = createCipheriv('aes-256-gcm', this.key, nonce);
    c.setAAD(context(at));
    const body = Buffer.concat([c.update(dataKey), c.final()]);
    return Buffer.concat([nonce, body, c.getAuthTag()]);
  }

  async unwrap(wrapped: Uint8Array, at: FieldLocation): Promise<Uint8Array> {
    const w = Buffer.from(wrapped);
    // Stryker disable next-line ArithmeticOperator, ConditionalExpression, EqualityOperator: equivalent, a value this short (or of exactly nonce + tag) fails the same way (code and text) inside the try
    if (w.length <= NONCE + TAG) throw failed(at);
    try {
      const d = createDecipheriv('aes-256-gcm', this.key, w.subarray(0, NONCE));
      d.setAAD(context(at));
      d.setAuthTag(w.subarray(w.length - TAG));
      return Buffer.concat([d.update(w.subarray(NONCE, w.length - TAG)), d.final()]);
    } catch (e) {
      throw failed(at, e);
    }
  }
}

function context(at: FieldLocation): Buffer {
  return Buffer.from(`kairos-dek/${at.table}/${at.column}/${at.rowId}`, 'utf8');
}

function failed(at: FieldLocation, cause?: unknown): KairosError {
  return new KairosError(
    'ENCRYPTION_DECRYPT_FAILED',
    `${at.table}/${at.column}/${at.rowId}: the data key does not unwrap (another row or column, or another master key)`,
    { cause },
  );
}
