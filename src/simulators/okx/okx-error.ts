import type { BinanceError } from '../binance/binance-error.js';

/**
 * An OKX API v5 error answer: `{ code, msg, data: [] }` with an HTTP status. A refused order of
 * the batch endpoint carries its own `sCode`/`sMsg` in `data` (OKX answers those with HTTP 200
 * and `code: "1"`).
 */
export class OkxError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'OkxError';
  }

  body(): { code: string; msg: string; data: never[] } {
    return { code: this.code, msg: this.message, data: [] };
  }
}

/** The OKX error codes the simulator answers with (OKX's own numbers and messages). */
export const OkxErrors = {
  notFound: () => new OkxError('404', 'Not Found', 404),
  internal: () => new OkxError('50000', 'Internal server error', 500),
  tooMany: () => new OkxError('50011', 'Too Many Requests', 429),
  empty: (name: string) => new OkxError('50014', `Parameter ${name} can not be empty.`),
  keyEmpty: () => new OkxError('50103', 'Request header OK-ACCESS-KEY can not be empty.', 401),
  passphraseEmpty: () =>
    new OkxError('50104', 'Request header OK-ACCESS-PASSPHRASE can not be empty.', 401),
  passphraseWrong: () =>
    new OkxError('50105', 'Request header OK-ACCESS-PASSPHRASE incorrect.', 401),
  signEmpty: () => new OkxError('50106', 'Request header OK-ACCESS-SIGN can not be empty.', 401),
  timestampEmpty: () =>
    new OkxError('50107', 'Request header OK-ACCESS-TIMESTAMP can not be empty.', 401),
  timestampExpired: () => new OkxError('50102', 'Timestamp request expired.', 401),
  keyInvalid: () => new OkxError('50111', 'Invalid OK-ACCESS-KEY.', 401),
  timestampInvalid: () => new OkxError('50112', 'Invalid OK-ACCESS-TIMESTAMP.', 401),
  signInvalid: () => new OkxError('50113', 'Invalid Sign.', 401),
  param: (name: string) => new OkxError('51000', `Parameter ${name} error`),
  instrument: () => new OkxError('51001', "Instrument ID doesn't exist."),
  duplicate: () => new OkxError('51016', 'Duplicated clOrdId.'),
  insufficient: () => new OkxError('51008', 'Order failed. Insufficient balance.'),
  orderMissing: () => new OkxError('51603', 'Order does not exist.'),
  cancelMissing: () =>
    new OkxError(
      '51400',
      'Order cancellation failed as the order has been filled, canceled or does not exist.',
    ),
};

/**
 * The OKX error for a refusal of the Binance simulator's matcher (shared with this venue):
 * short balance 51008, a tick/lot/size rule 51000-series, a post-only that would take 51000
 * (OKX cancels it instead; see `trade-routes.ts`), an unknown order 51400.
 */
export function okxErrorOf(e: BinanceError): OkxError {
  if (e.code === -2010 && /insufficient/i.test(e.message)) return OkxErrors.insufficient();
  if (e.code === -2010 && /Duplicate/.test(e.message)) return OkxErrors.duplicate();
  if (e.code === -2011 || e.code === -2013) return OkxErrors.cancelMissing();
  if (e.code === -1013) {
    if (/PRICE/.test(e.message))
      return new OkxError('51006', 'Order price is not within the price limit.');
    if (/LOT_SIZE/.test(e.message))
      return new OkxError('51121', 'Order quantity must be a multiple of the lot size.');
    return new OkxError('51020', 'Your order should meet or exceed the minimum order amount.');
  }
  return new OkxError('51000', e.message);
}
