import {
  accountsOfChange,
  accountTradingState,
  riskFrame,
  riskSnapshot,
  sharedRead,
  type RiskChange,
  type RiskSettingsView,
} from '../../../src/api/risk-frames.js';
import { Dec } from '../../../src/trading/core/decimal.js';
import { until } from '../../support/until.js';

const mine = { id: 'acc-1', ownerUserId: 'u-1' };
const hers = { id: 'acc-2', ownerUserId: 'u-2' };
const desk = { id: 'desk', ownerUserId: null };
const all = [mine, hers, desk];

const settings = (states: Partial<RiskSettingsView['states']> = {}): RiskSettingsView => ({
  limits: {
    global: { maxOrderQuantity: Dec('10') },
    strategies: { sma: { maxPosition: Dec('2') } },
    instruments: { 'BTC/X': { maxOrderValue: Dec('500') } },
    accounts: { 'acc-1': { maxOrderQuantity: Dec('5') }, 'acc-2': { maxOrderQuantity: Dec('7') } },
  },
  states: { global: 'ACTIVE', strategies: {}, accounts: {}, users: {}, ...states },
});
const by = { actor: 'user:r', role: 'risk', ts: 1_000 };
const state = (scope: object, s: RiskChange['settings'] = settings()): RiskChange => ({
  kind: 'state',
  scope,
  state: 'HALTED',
  reason: 'why',
  ...by,
  settings: s,
});
const limit = (scope: object): RiskChange => ({
  kind: 'limit',
  scope,
  name: 'maxOrderQuantity',
  value: '3',
  ...by,
  settings: settings(),
});
const ids = (c: RiskChange) => accountsOfChange(c, all).map((a) => a.id);

describe('risk frames: which accounts a change reaches, and what they say', () => {
  it('an account’s change reaches it alone; a user’s, the accounts they own; the rest, every account', () => {
    expect(ids(state({ accountId: 'acc-2' }))).toEqual(['acc-2']);
    expect(ids(limit({ accountId: 'acc-1' }))).toEqual(['acc-1']);
    expect(ids(state({ userId: 'u-1' }))).toEqual(['acc-1']);
    expect(ids(state({ userId: 'u-9' }))).toEqual([]);
    expect(ids(state({}))).toEqual(['acc-1', 'acc-2', 'desk']);
    expect(ids(state({ strategyId: 'sma' }))).toEqual(['acc-1', 'acc-2', 'desk']);
    expect(ids(limit({ instrumentId: 'BTC/X' }))).toEqual(['acc-1', 'acc-2', 'desk']);
    // An account this instance does not know yet still gets its own change (oversight only).
    expect(accountsOfChange(state({ accountId: 'acc-9' }), all)).toEqual([
      { id: 'acc-9', ownerUserId: null },
    ]);
  });

  it('an account trades under the strictest of the global, its own and its owner’s switch', () => {
    const s = (x: Partial<RiskSettingsView['states']>) => settings(x).states;
    expect(accountTradingState(s({}), mine)).toBe('ACTIVE');
    expect(accountTradingState(s({ global: 'REDUCING' }), mine)).toBe('REDUCING');
    expect(accountTradingState(s({ accounts: { 'acc-1': 'HALTED' } }), mine)).toBe('HALTED');
    expect(accountTradingState(s({ accounts: { 'acc-1': 'HALTED' } }), hers)).toBe('ACTIVE');
    expect(accountTradingState(s({ users: { 'u-2': 'REDUCING' } }), hers)).toBe('REDUCING');
    expect(accountTradingState(s({ users: { 'u-2': 'HALTED' } }), desk)).toBe('ACTIVE');
  });

  it('a frame names the change, who made it and the account’s state after it', () => {
    const halted = settings({ users: { 'u-1': 'HALTED' } });
    expect(riskFrame(state({ userId: 'u-1' }, halted), mine)).toEqual({
      type: 'risk',
      change: 'state',
      accountId: 'acc-1',
      scope: { userId: 'u-1' },
      state: 'HALTED',
      reason: 'why',
      actor: 'user:r',
      role: 'risk',
      ts: 1_000,
      tradingState: 'HALTED',
    });
    expect(riskFrame(limit({ instrumentId: 'BTC/X', accountId: undefined }), hers)).toEqual({
      type: 'risk',
      change: 'limit',
      accountId: 'acc-2',
      scope: { instrumentId: 'BTC/X' },
      name: 'maxOrderQuantity',
      value: '3',
      actor: 'user:r',
      role: 'risk',
      ts: 1_000,
      tradingState: 'ACTIVE',
    });
  });

  it('a snapshot holds the account’s switches and the limits that apply to it, none of another’s', () => {
    expect(riskSnapshot(settings({ global: 'REDUCING' }), mine)).toEqual({
      accountId: 'acc-1',
      tradingState: 'REDUCING',
      states: { global: 'REDUCING', account: 'ACTIVE', user: 'ACTIVE', strategies: {} },
      limits: {
        global: { maxOrderQuantity: '10' },
        account: { maxOrderQuantity: '5' },
        strategies: { sma: { maxPosition: '2' } },
        instruments: { 'BTC/X': { maxOrderValue: '500' } },
      },
    });
    expect(riskSnapshot(settings(), desk)).toMatchObject({
      states: { user: null },
      limits: { account: {} },
    });
  });
});

describe('sharedRead', () => {
  it('callers asking while a read is under way share one that starts after they asked', async () => {
    const reads: { n: number; resolve: (v: number) => void }[] = [];
    const read = sharedRead(
      () => new Promise<number>((resolve) => reads.push({ n: reads.length + 1, resolve })),
    );
    const first = read();
    const [second, third] = [read(), read()];
    // The second and third asked while read 1 ran: they wait for a read of their own.
    expect(reads.map((r) => r.n)).toEqual([1]);
    reads[0]!.resolve(1);
    expect(await first).toBe(1);
    await Promise.resolve();
    await until(() => reads.length === 2);
    reads[1]!.resolve(2);
    expect([await second, await third]).toEqual([2, 2]);
    // Nothing under way: a new read at once.
    const fourth = read();
    expect(reads).toHaveLength(3);
    reads[2]!.resolve(3);
    expect(await fourth).toBe(3);
  });

  it('a failed read fails its callers, and the next callers read again', async () => {
    let n = 0;
    const read = sharedRead(async () => {
      n++;
      if (n === 1) throw new Error('store away');
      return n;
    });
    await expect(read()).rejects.toThrow('store away');
    expect(await read()).toBe(2);
  });
});
