import { sql } from 'kysely';
import { AuditRepository } from '../../../src/store/audit-repository.js';
import { RiskRepository } from '../../../src/store/risk-repository.js';
import { DIALECTS, freshStore } from '../../support/stores.js';

describe.each(DIALECTS)('risk repository on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof freshStore>>;
  beforeAll(async () => {
    store = await freshStore(dialect);
  });
  afterAll(async () => {
    await store.drop();
  });

  it('stores limits and states with an append-only event per change', async () => {
    const risk = new RiskRepository(store.db);
    await risk.setLimit({}, 'maxOrderValue', '50000.5', 'alice', 1);
    await risk.setLimit({ strategyId: 'sma' }, 'maxPosition', '10', 'alice', 2);
    await risk.setLimit({ strategyId: 'sma' }, 'maxPosition', '12', 'bob', 3);
    await risk.setLimit({}, 'maxOpenOrders', '5', 'bob', 4);
    const limits = await risk.limits();
    expect(limits.global.maxOrderValue!.toFixed()).toBe('50000.5');
    expect(limits.global.maxOpenOrders).toBe(5);
    expect(limits.strategies.sma!.maxPosition!.toFixed()).toBe('12');
    await expect(risk.setLimit({}, 'maxPositon', '1', 'x', 5)).rejects.toThrow(
      'limit "maxPositon": unknown',
    );
    await expect(risk.setLimit({}, 'maxOpenOrders', '1.5', 'x', 5)).rejects.toThrow(
      'must be a non-negative integer',
    );
    await expect(risk.setLimit({}, 'maxPosition', '-1', 'x', 5)).rejects.toThrow(
      'must be a non-negative number',
    );
    expect(await risk.states()).toEqual({
      global: 'ACTIVE',
      strategies: {},
      accounts: {},
      users: {},
    });
    await risk.setState({}, 'HALTED', 'test', 'carol', 6);
    await risk.setState({ strategyId: 'sma' }, 'REDUCING', null, 'carol', 7);
    expect(await risk.states()).toEqual({
      global: 'HALTED',
      strategies: { sma: 'REDUCING' },
      accounts: {},
      users: {},
    });
    const events = await store.db
      .selectFrom('risk_events')
      .select(['kind', 'actor'])
      .orderBy('seq')
      .execute();
    expect(events.map((e) => `${e.kind}:${e.actor}`)).toEqual([
      'RiskLimitChanged:alice',
      'RiskLimitChanged:alice',
      'RiskLimitChanged:bob',
      'RiskLimitChanged:bob',
      'TradingStateChanged:carol',
      'TradingStateChanged:carol',
    ]);
    await expect(sql`delete from risk_events`.execute(store.db)).rejects.toThrow(/append-only/);
    // Each change is in the audit log too, in the same transaction.
    const audit = await new AuditRepository(store.db).list(0, Number.MAX_SAFE_INTEGER);
    expect(audit.map((r) => `${r.action}:${r.actor}`).slice(0, 6)).toEqual([
      'risk.limit_changed:alice',
      'risk.limit_changed:alice',
      'risk.limit_changed:bob',
      'risk.limit_changed:bob',
      'risk.state_changed:carol',
      'risk.state_changed:carol',
    ]);
  });

  it('stores the kill switch of one account (scope ACCOUNT) apart from the global one', async () => {
    const risk = new RiskRepository(store.db);
    await risk.setState({ accountId: 'acc-1' }, 'HALTED', 'mine', 'fay', 20);
    await risk.setState({ accountId: 'acc-2' }, 'REDUCING', null, 'fay', 21);
    const states = await risk.states();
    expect(states.accounts).toEqual({ 'acc-1': 'HALTED', 'acc-2': 'REDUCING' });
    expect(states.strategies).not.toHaveProperty('acc-1');
    await risk.setState({ accountId: 'acc-1' }, 'ACTIVE', null, 'rick', 22);
    expect((await risk.states()).accounts).toEqual({ 'acc-1': 'ACTIVE', 'acc-2': 'REDUCING' });
    for (const two of [
      { accountId: 'acc-1', strategyId: 'sma' },
      { accountId: 'acc-1', userId: 'u1' },
      { strategyId: 'sma', userId: 'u1' },
    ])
      await expect(risk.setState(two, 'HALTED', null, 'x', 23)).rejects.toThrow(
        'give one of a strategy, an account or a user',
      );
    const row = await store.db
      .selectFrom('trading_state')
      .selectAll()
      .where('scope_id', '=', 'acc-1')
      .executeTakeFirstOrThrow();
    expect([row.scope, row.state]).toEqual(['ACCOUNT', 'ACTIVE']);
  });

  it('stores the kill switch of one user (scope USER) apart from their accounts', async () => {
    const risk = new RiskRepository(store.db);
    await risk.setState({ userId: 'u-tom' }, 'HALTED', 'stepping away', 'tom', 30);
    await risk.setState({ accountId: 'u-tom' }, 'REDUCING', null, 'rick', 31);
    const states = await risk.states();
    expect(states.users).toEqual({ 'u-tom': 'HALTED' });
    expect(states.accounts!['u-tom']).toBe('REDUCING');
    expect(states.global).toBe('HALTED'); // the first test's, untouched by a user's switch
    await risk.setState({ userId: 'u-tom' }, 'ACTIVE', null, 'rick', 32);
    expect((await risk.states()).users).toEqual({ 'u-tom': 'ACTIVE' });
  });

  it("stores one account's own limits (scope ACCOUNT) apart from every account's", async () => {
    const risk = new RiskRepository(store.db);
    await risk.setLimit({ accountId: 'acc-1' }, 'maxOrderQuantity', '2', 'rick', 40);
    await risk.setLimit({}, 'maxOrderQuantity', '5', 'rick', 41);
    await risk.setLimit({ strategyId: 'acc-1' }, 'maxOrderQuantity', '7', 'rick', 42);
    const limits = await risk.limits();
    expect(limits.accounts['acc-1']!.maxOrderQuantity!.toFixed()).toBe('2');
    expect(limits.global.maxOrderQuantity!.toFixed()).toBe('5');
    expect(limits.strategies['acc-1']!.maxOrderQuantity!.toFixed()).toBe('7');
    expect(await risk.clearLimit({ accountId: 'acc-1' }, 'maxOrderQuantity', 'rick', 43)).toBe(
      true,
    );
    expect((await risk.limits()).accounts).toEqual({});
    expect((await risk.limits()).global.maxOrderQuantity!.toFixed()).toBe('5');
  });

  it('stores instrument-scope limits (scope INSTRUMENT) and the window and execution limits', async () => {
    const risk = new RiskRepository(store.db);
    await risk.setLimit({ instrumentId: 'BTC/USDT' }, 'maxPosition', '0.5', 'dave', 10);
    await risk.setLimit({ instrumentId: 'BTC/USDT' }, 'windowCollarPct', '2.5', 'dave', 11);
    await risk.setLimit({}, 'maxRepeatedExecutions', '20', 'dave', 12);
    await risk.setLimit({ strategyId: 'sma' }, 'repeatedExecutionWindowMs', '5000', 'dave', 13);
    for (const two of [
      { strategyId: 'sma', instrumentId: 'BTC/USDT' },
      { strategyId: 'sma', accountId: 'acc-1' },
      { instrumentId: 'BTC/USDT', accountId: 'acc-1' },
    ])
      await expect(risk.setLimit(two, 'maxPosition', '1', 'x', 14)).rejects.toThrow(
        'give one of a strategy, an instrument or an account',
      );
    await expect(risk.setLimit({}, 'collarWindowMs', '1.5', 'x', 14)).rejects.toThrow(
      'must be a non-negative integer',
    );
    const limits = await risk.limits();
    expect(limits.instruments!['BTC/USDT']!.maxPosition!.toFixed()).toBe('0.5');
    expect(limits.instruments!['BTC/USDT']!.windowCollarPct!.toFixed()).toBe('2.5');
    expect(limits.global.maxRepeatedExecutions).toBe(20);
    expect(limits.strategies.sma!.repeatedExecutionWindowMs).toBe(5000);
    expect(limits.strategies['BTC/USDT']).toBeUndefined();
    const rows = await store.db
      .selectFrom('risk_limits')
      .select(['scope', 'scope_id'])
      .where('name', '=', 'windowCollarPct')
      .execute();
    expect(rows).toEqual([{ scope: 'INSTRUMENT', scope_id: 'BTC/USDT' }]);
  });

  it('clears a limit from one scope only, recorded and audited; an unset one is a no-op', async () => {
    const risk = new RiskRepository(store.db);
    await risk.setLimit({}, 'maxOrderQuantity', '7', 'erin', 20);
    await risk.setLimit({ strategyId: 'clr' }, 'maxOrderQuantity', '3', 'erin', 21);
    expect(await risk.clearLimit({ strategyId: 'clr' }, 'maxOrderQuantity', 'erin', 22)).toBe(true);
    const limits = await risk.limits();
    expect(limits.strategies.clr).toBeUndefined();
    expect(limits.global.maxOrderQuantity!.toFixed()).toBe('7');
    expect(await risk.clearLimit({ strategyId: 'clr' }, 'maxOrderQuantity', 'erin', 23)).toBe(
      false,
    );
    await expect(risk.clearLimit({}, 'maxPositon', 'erin', 24)).rejects.toThrow(
      'limit "maxPositon": unknown',
    );
    expect(await risk.clearLimit({}, 'maxOrderQuantity', 'erin', 25)).toBe(true);
    expect((await risk.limits()).global.maxOrderQuantity).toBeUndefined();
    const kinds = await store.db
      .selectFrom('risk_events')
      .select('kind')
      .where('actor', '=', 'erin')
      .orderBy('seq')
      .execute();
    expect(kinds.map((k) => k.kind)).toEqual([
      'RiskLimitChanged',
      'RiskLimitChanged',
      'RiskLimitCleared',
      'RiskLimitCleared',
    ]);
    const audit = await new AuditRepository(store.db).list(0, Number.MAX_SAFE_INTEGER);
    expect(audit.filter((r) => r.actor === 'erin').map((r) => r.action)).toEqual([
      'risk.limit_changed',
      'risk.limit_changed',
      'risk.limit_cleared',
      'risk.limit_cleared',
    ]);
  });
});
