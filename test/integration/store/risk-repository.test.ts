import { sql } from 'kysely';
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
    expect(await risk.states()).toEqual({ global: 'ACTIVE', strategies: {} });
    await risk.setState({}, 'HALTED', 'test', 'carol', 6);
    await risk.setState({ strategyId: 'sma' }, 'REDUCING', null, 'carol', 7);
    expect(await risk.states()).toEqual({ global: 'HALTED', strategies: { sma: 'REDUCING' } });
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
  });
});
