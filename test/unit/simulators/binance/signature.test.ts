import { createHmac } from 'node:crypto';
import { BinanceError } from '../../../../src/simulators/binance/binance-error.js';
import {
  verifySignedParams,
  verifySignedRequest,
} from '../../../../src/simulators/binance/signature.js';

// The HMAC example of Binance's REST API documentation.
const creds = {
  apiKey: 'vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A',
  secret: 'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j',
};
const TS = 1499827319559;
const all =
  'symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559';
const SIG_ALL = 'c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71';
const SIG_MIXED = '0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77';

function params(raw: string): Map<string, string> {
  return new Map(new URLSearchParams(raw));
}

function code(fn: () => void): number | null {
  try {
    fn();
    return null;
  } catch (e) {
    if (e instanceof BinanceError) return e.code;
    throw e;
  }
}

describe('Binance request signatures', () => {
  const check = (rawQuery: string, rawBody: string, now = TS, apiKey = creds.apiKey) =>
    code(() =>
      verifySignedRequest(
        { rawQuery, rawBody, apiKey, params: params(`${rawQuery}&${rawBody}`) },
        creds,
        now,
      ),
    );

  it('accepts the documented examples: all in the query, all in the body, split', () => {
    expect(check(`${all}&signature=${SIG_ALL}`, '')).toBeNull();
    expect(check('', `${all}&signature=${SIG_ALL}`)).toBeNull();
    expect(
      check(
        'symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC',
        `quantity=1&price=0.1&recvWindow=5000&timestamp=${TS}&signature=${SIG_MIXED}`,
      ),
    ).toBeNull();
  });

  it('refuses a changed parameter, a missing signature, a bad key', () => {
    expect(check(`${all.replace('price=0.1', 'price=0.2')}&signature=${SIG_ALL}`, '')).toBe(-1022);
    expect(check(all, '')).toBe(-1102);
    expect(check(`${all}&signature=${SIG_ALL}`, '', TS, 'other')).toBe(-2015);
    expect(check(`${all}&signature=${SIG_ALL}`, '', TS, '')).toBe(-2014);
  });

  it('applies the timestamp window: 1 s ahead at most, recvWindow behind', () => {
    const q = `${all}&signature=${SIG_ALL}`;
    expect(check(q, '', TS + 5000)).toBeNull();
    expect(check(q, '', TS + 5001)).toBe(-1021);
    expect(check(q, '', TS - 999)).toBeNull();
    expect(check(q, '', TS - 1000)).toBe(-1021);
  });

  it('checks WebSocket API params signed in name order', () => {
    const p = { apiKey: creds.apiKey, timestamp: TS };
    const payload = `apiKey=${creds.apiKey}&timestamp=${TS}`;
    const sig = createHmac('sha256', creds.secret).update(payload).digest('hex');
    expect(code(() => verifySignedParams({ ...p, signature: sig }, creds, TS))).toBeNull();
    expect(
      code(() => verifySignedParams({ ...p, timestamp: TS + 1, signature: sig }, creds, TS)),
    ).toBe(-1022);
  });
});
