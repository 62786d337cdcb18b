import type { Answer } from './api-call.js';

/** An API call as a logged-in user: method, route, optional JSON body. */
export type UserCall = (method: string, route: string, body?: unknown) => Promise<Answer>;

/**
 * What the README's trader does on a server started with `--venue binance`: stores the key of
 * `sim` (`POST /credentials`), then opens a live account on it (`POST /accounts`). Answers both
 * answers; a caller checks them (the credential's 201, the account's 201 and `UP`).
 */
export async function openLiveAccount(
  call: UserCall,
  key: { readonly apiKey: string; readonly secret: string },
  name = 'real',
  /** The credential's label (one a user has stored already is refused). */
  label = 'sim',
): Promise<{ credential: Answer; account: Answer }> {
  const credential = await call('POST', '/credentials', {
    venue: 'binance',
    label,
    apiKey: key.apiKey,
    secret: key.secret,
  });
  const account = await call('POST', '/accounts', {
    name,
    mode: 'live',
    venue: 'binance',
    credentialId: credential.json?.id,
  });
  return { credential, account };
}

/** An order body of a buy far below the simulator's market: it rests at the venue until canceled. */
export function restingBuy(accountId: string) {
  return {
    accountId,
    instrumentId: 'BTC/USDT',
    side: 'BUY',
    type: 'LIMIT',
    price: '1000',
    quantity: '0.02',
  };
}
