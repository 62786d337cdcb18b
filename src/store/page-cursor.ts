import { KairosError } from '../trading/core/errors.js';

/**
 * The cursor of a keyset page ordered by time then id: opaque to clients (base64url JSON).
 *
 * @example
 * const next = PageCursor.encode(order.createdAt, order.clientOrderId);
 * const [ts, id] = PageCursor.decode(next);
 */
export const PageCursor = {
  encode(ts: number, id: string): string {
    return Buffer.from(JSON.stringify([ts, id])).toString('base64url');
  },

  /** `CURSOR_INVALID` when it is not a cursor this API made. */
  decode(cursor: string): [number, string] {
    try {
      const v = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown;
      if (Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'string')
        return [v[0], v[1]];
    } catch {
      // falls through to the error below
    }
    throw new KairosError('CURSOR_INVALID', 'before: not a cursor this API returned');
  },
};
