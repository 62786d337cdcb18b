import { AccountInstruments } from '../../../src/system/account-instruments.js';
import { KairosError } from '../../../src/trading/core/errors.js';
import { makeInstrument, type Instrument } from '../../../src/trading/model/instrument.js';
import { bar } from '../../support/builders.js';

/** A venue's markets and bar streams as an account sees them, recording what it asks. */
function venue() {
  const ticks = new Map([
    ['BTC/USDT', '0.01'],
    ['ETH/USDT', '0.01'],
  ]);
  const watching = new Map<string, number>();
  const applied: string[] = [];
  const seeded: string[] = [];
  const inst = (id: string, tick: string) =>
    makeInstrument({
      id,
      base: id.split('/')[0]!,
      quote: 'USDT',
      tickSize: tick,
      lotSize: '0.001',
    });
  const held = new AccountInstruments({
    resolve: (symbol) => {
      const tick = ticks.get(symbol);
      if (!tick)
        throw new KairosError('UNKNOWN_INSTRUMENT', `instrumentId: binance lists no "${symbol}"`);
      return inst(symbol, tick);
    },
    apply: (i: Instrument) => void applied.push(`${i.id} ${i.tickSize.toFixed()}`),
    watchBars: async (symbol) => {
      watching.set(symbol, (watching.get(symbol) ?? 0) + 1);
      return () => watching.set(symbol, watching.get(symbol)! - 1);
    },
    onBar: () => undefined,
    lastBar: async (symbol) => ({ ...bar(100, 100, 100, 100), instrumentId: symbol }),
    seed: (symbol, price) => void seeded.push(`${symbol} ${price}`),
  });
  return { held, ticks, watching, applied, seeded };
}

const settled = () => new Promise((r) => setImmediate(r));

describe('AccountInstruments', () => {
  it('watches a symbol once per account for all its holders and releases it after the last', async () => {
    const v = venue();
    await v.held.use('BTC/USDT');
    await v.held.use('BTC/USDT', 'strategy:s1');
    expect(v.watching.get('BTC/USDT')).toBe(1);
    expect(v.seeded).toEqual(['BTC/USDT 100']);
    v.held.release('strategy:s1');
    await settled();
    expect(v.watching.get('BTC/USDT')).toBe(1);
    v.held.release('account');
    await settled();
    expect(v.watching.get('BTC/USDT')).toBe(0);
    expect(v.held.holds('BTC/USDT')).toBe(false);
  });

  it('refuses a symbol the venue does not list before touching the account', async () => {
    const v = venue();
    await expect(v.held.use('NOPE/USDT')).rejects.toMatchObject({ code: 'UNKNOWN_INSTRUMENT' });
    expect([v.applied, [...v.watching.keys()]]).toEqual([[], []]);
  });

  it('applies the venue’s new rules to what the account trades; a delisted symbol keeps its own', async () => {
    const v = venue();
    await v.held.use('BTC/USDT');
    v.ticks.set('BTC/USDT', '0.1');
    v.ticks.delete('ETH/USDT');
    v.held.refresh(['BTC/USDT', 'ETH/USDT']);
    expect(v.applied).toEqual(['BTC/USDT 0.01', 'BTC/USDT 0.1']);
  });
});
