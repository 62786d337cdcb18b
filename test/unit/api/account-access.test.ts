import { AccountAccess } from '../../../src/api/account-access.js';
import type { AccountDesk, AccountVenueLink, ApiAccount } from '../../../src/api/deps.js';
import type { Role } from '../../../src/security/roles/permissions.js';
import type { AccessClaims } from '../../../src/security/tokens/access-tokens.js';

const account = (id: string, ownerUserId: string | null, closed = false): ApiAccount => ({
  id,
  ownerUserId,
  venue: 'PAPER',
  mode: 'paper',
  name: id,
  credentialId: null,
  startingCash: '1',
  currency: 'X',
  createdAt: 0,
  disabledAt: closed ? 1 : null,
  shared: ownerUserId === null,
});

const ACCOUNTS = [
  account('desk', null),
  account('a1', 'tom'),
  account('a2', 'tom', true),
  account('b1', 'tina'),
];
/** Live accounts' links to their venue, as a test sets them. */
const links = new Map<string, AccountVenueLink>();
/** Accounts whose core is not open here (another instance's, or not opened yet). */
const away = new Set<string>();
const desk: AccountDesk = {
  all: () => ACCOUNTS,
  get: (id) => ACCOUNTS.find((a) => a.id === id),
  defaultOf: (userId) => (userId === 'tom' ? 'a1' : null),
  isClosed: (id) => ACCOUNTS.find((a) => a.id === id)?.disabledAt !== null,
  create: () => Promise.reject(new Error('unused')),
  close: () => Promise.reject(new Error('unused')),
  reopen: () => Promise.reject(new Error('unused')),
  setDefault: () => Promise.reject(new Error('unused')),
  trading: (id) =>
    ACCOUNTS.some((a) => a.id === id) && !away.has(id)
      ? ({ desk: {}, core: {}, orders: {} } as ReturnType<AccountDesk['trading']>)
      : undefined,
  venueLink: (id) => links.get(id) ?? null,
};
const claims = (sub: string, role: Role): AccessClaims => ({
  iss: 'kairos',
  aud: 'kairos-api',
  sub,
  role,
  sid: 's',
  typ: 'access',
  iat: 0,
  exp: 1,
});
const access = new AccountAccess(desk, async (userId) => (userId === 'tom' ? ['sma-1'] : []));
const tom = claims('tom', 'trader');
const tina = claims('tina', 'trader');
const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'none';
};
const message = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return 'none';
};

describe('AccountAccess: who sees which account', () => {
  it('a user sees the shared account and their own; oversight roles see every account', () => {
    expect(access.visible(tom).map((a) => a.id)).toEqual(['desk', 'a1', 'a2']);
    expect(access.visible(tina).map((a) => a.id)).toEqual(['desk', 'b1']);
    for (const role of ['admin', 'risk', 'auditor'] as const)
      expect(access.visible(claims('o', role))).toHaveLength(4);
    expect(access.visible(claims('q', 'quant')).map((a) => a.id)).toEqual(['desk']);
  });

  it("another's account is not found, exactly like an unknown one", () => {
    expect(code(() => access.find(tina, 'a1'))).toBe('ACCOUNT_NOT_FOUND');
    expect(code(() => access.find(tina, 'nope'))).toBe('ACCOUNT_NOT_FOUND');
    expect(code(() => access.own(tom, 'desk'))).toBe('ACCOUNT_NOT_FOUND');
    expect(access.find(claims('r', 'risk'), 'a1').id).toBe('a1');
  });

  it('trades on the named account, else the default, else the shared one; never a closed or foreign one', () => {
    expect(access.forTrading(tom, undefined).account.id).toBe('a1');
    expect(access.forTrading(tina, undefined).account.id).toBe('desk');
    expect(access.forTrading(tina, 'desk').account.id).toBe('desk');
    expect(code(() => access.forTrading(tina, 'a1'))).toBe('ACCOUNT_NOT_FOUND');
    expect(code(() => access.forTrading(tom, 'a2'))).toBe('ACCOUNT_DISABLED');
    // Closed: no cancel (nor read of a core) either, its core kept or not.
    expect(code(() => access.tradingHere('a2', 'cancel'))).toBe('ACCOUNT_DISABLED');
    expect(message(() => access.tradingHere('a2', 'cancel'))).toContain('/accounts/a2/reopen');
    // An oversight role reads every account but trades on none of another's.
    expect(code(() => access.forTrading(claims('r', 'risk'), 'b1'))).toBe('ACCOUNT_NOT_FOUND');
  });

  it('a live account takes no order while its venue is down or after its key was refused, saying why', () => {
    const link = (state: AccountVenueLink['state'], reason: string): AccountVenueLink => ({
      state,
      reason,
      since: 0,
      confirmedAt: null,
      balances: [],
    });
    try {
      links.set('a1', link('DOWN', 'binance: request timed out'));
      expect(code(() => access.forTrading(tom, 'a1'))).toBe('ACCOUNT_VENUE_DOWN');
      expect(message(() => access.forTrading(tom, undefined))).toContain('request timed out');
      links.set('a1', link('DISABLED', 'key refused by the venue'));
      expect(code(() => access.forTrading(tom, 'a1'))).toBe('ACCOUNT_CREDENTIAL_REFUSED');
      // Another's account stays not found, whatever its venue says.
      expect(code(() => access.forTrading(tina, 'a1'))).toBe('ACCOUNT_NOT_FOUND');
      links.set('a1', link('UP', ''));
      expect(access.forTrading(tom, 'a1').account.id).toBe('a1');
    } finally {
      links.clear();
    }
  });

  it('an account whose core is not open here is refused saying why, never taken for one without orders', () => {
    const down: AccountVenueLink = {
      state: 'DOWN',
      reason: 'binance: banned',
      since: 0,
      confirmedAt: null,
      balances: [],
    };
    try {
      expect(access.tradingHere('a1')).toBeDefined();
      away.add('a1');
      // Another instance's (or being taken over, or opened): retryable.
      expect(code(() => access.tradingHere('a1'))).toBe('ACCOUNT_OWNER_UNAVAILABLE');
      expect(code(() => access.forTrading(tom, 'a1'))).toBe('ACCOUNT_OWNER_UNAVAILABLE');
      // A live account whose venue was down when its core was to open.
      links.set('a1', down);
      expect(code(() => access.tradingHere('a1', 'cancel'))).toBe('ACCOUNT_VENUE_DOWN');
      expect(message(() => access.tradingHere('a1', 'cancel'))).toContain(
        'takes no cancel while its venue is down (binance: banned',
      );
      links.set('a1', { ...down, state: 'DISABLED', reason: 'key refused' });
      expect(code(() => access.tradingHere('a1'))).toBe('ACCOUNT_CREDENTIAL_REFUSED');
      // Its core here: a cancel goes to it whatever the link says (the core decides).
      away.delete('a1');
      expect(access.tradingHere('a1', 'cancel')).toBeDefined();
    } finally {
      away.clear();
      links.clear();
    }
  });

  it('scopes order reads: every order of own accounts, own orders and strategies on the shared one', async () => {
    expect(await access.orderScope(tom)).toEqual([
      { accountId: 'desk', owners: ['user:tom', 'sma-1'] },
      { accountId: 'a1', owners: null },
      { accountId: 'a2', owners: null },
    ]);
    expect(await access.orderScope(claims('r', 'risk'))).toBeNull();
    expect(await access.orderScope(claims('r', 'auditor'), 'desk')).toEqual([
      { accountId: 'desk', owners: null },
    ]);
    await expect(access.orderScope(tina, 'a1')).rejects.toMatchObject({
      code: 'ACCOUNT_NOT_FOUND',
    });
    expect(await access.seesOrder(tom, 'desk', 'sma-1')).toBe(true);
    expect(await access.seesOrder(tina, 'desk', 'sma-1')).toBe(false);
    expect(await access.seesOrder(tina, 'a1', 'user:tom')).toBe(false);
  });

  it('halts: a trader their own accounts, an oversight role any (the shared one too)', () => {
    expect(access.mayHalt(tom, access.find(tom, 'a1'))).toBe(true);
    expect(access.mayHalt(tom, access.find(tom, 'desk'))).toBe(false);
    expect(access.mayHalt(claims('r', 'risk'), access.find(tom, 'desk'))).toBe(true);
    expect(access.mayHalt(claims('ada', 'admin'), access.find(tom, 'a1'))).toBe(true);
    expect(access.mayHalt(claims('q', 'quant'), access.find(tom, 'a1'))).toBe(false);
  });
});
