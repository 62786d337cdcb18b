import { Dec } from '../../../../src/trading/core/decimal.js';
import { money } from '../../../../src/trading/core/money.js';
import type { Fill } from '../../../../src/trading/model/fill.js';
import { Ledger } from '../../../../src/trading/portfolio/ledger.js';
import { fill } from '../../../support/builders.js';

/** A backtest's ledger: it keeps the closed round trips these tests read. */
const KEEP = { keepRoundTrips: true };

// The ledger of an account trading in two quote currencies: equity is per currency, counters
// count every fill, fees add up in the quote currency, and starting cash stays as it was.
const on = (instrumentId: string, f: Fill, feeCurrency: string): Fill => ({
  ...f,
  instrumentId,
  fee: money(f.fee.amount, feeCurrency),
});
const BTC_USDT = { base: 'BTC', quote: 'USDT' };
const ETH_EUR = { base: 'ETH', quote: 'EUR' };
const quoteOf = (id: string) => (id === 'BTC/USDT' ? 'USDT' : 'EUR');

describe('Ledger across quote currencies', () => {
  function twoBooks() {
    const ledger = new Ledger({ USDT: '10000', EUR: '5000' }, KEEP);
    ledger.applyFill(on('BTC/USDT', fill('BUY', '100', '2', '0.5', 't1'), 'USDT'), BTC_USDT);
    ledger.applyFill(on('ETH/EUR', fill('BUY', '10', '30', '0.3', 't2'), 'EUR'), ETH_EUR);
    return ledger;
  }

  it('moves only the fill’s quote cash, fee included, and keeps starting cash', () => {
    const ledger = twoBooks();
    expect(ledger.cash('USDT').toFixed()).toBe('9799.5');
    expect(ledger.cash('EUR').toFixed()).toBe('4699.7');
    expect(ledger.cash('JPY').toFixed()).toBe('0');
    expect(ledger.startingCash('USDT').toFixed()).toBe('10000');
    expect(ledger.startingCash('EUR').toFixed()).toBe('5000');
    expect(ledger.startingCash('JPY').toFixed()).toBe('0');
    ledger.applyFill(on('BTC/USDT', fill('SELL', '120', '1', '0.1', 't3'), 'USDT'), BTC_USDT);
    expect(ledger.cash('USDT').toFixed()).toBe('9919.4');
  });

  it('values equity per currency: its cash plus only the positions quoted in it, at their marks', () => {
    const ledger = twoBooks();
    const marks = new Map([
      ['BTC/USDT', Dec(110)],
      ['ETH/EUR', Dec(9)],
    ]);
    expect(ledger.equity('USDT', marks, quoteOf).toFixed()).toBe('10019.5'); // 9799.5 + 2 × 110
    expect(ledger.equity('EUR', marks, quoteOf).toFixed()).toBe('4969.7'); // 4699.7 + 30 × 9
    // Without a mark a position counts at its entry cost.
    expect(ledger.equity('EUR', new Map(), quoteOf).toFixed()).toBe('4999.7');
    expect(ledger.equity('JPY', marks, quoteOf).toFixed()).toBe('0');
  });

  it('counts fills and fees, lists open positions apart from flat ones', () => {
    const ledger = twoBooks();
    expect(ledger.fillCount).toBe(2);
    expect(ledger.fees.toFixed()).toBe('0.8');
    ledger.applyFill(on('ETH/EUR', fill('SELL', '11', '30', '0.2', 't3'), 'EUR'), ETH_EUR);
    expect(ledger.fillCount).toBe(3);
    expect(ledger.fees.toFixed()).toBe('1');
    expect(ledger.openPositions().map((p) => p.instrumentId)).toEqual(['BTC/USDT']);
    expect(
      ledger
        .allPositions()
        .map((p) => p.instrumentId)
        .sort(),
    ).toEqual(['BTC/USDT', 'ETH/EUR']);
    expect(ledger.position('ETH/EUR').quantity.toFixed()).toBe('0');
    expect(ledger.position('XRP/EUR').quantity.toFixed()).toBe('0');
    expect(ledger.roundTrips).toHaveLength(1);
    expect(ledger.equity('EUR', new Map(), quoteOf).toFixed()).toBe('5029.5');
  });

  it('pays a third-currency fee from that currency’s cash and counts it in fees as its amount', () => {
    const ledger = new Ledger({ USDT: '1000', BNB: '1' });
    ledger.applyFill(on('BTC/USDT', fill('BUY', '100', '1', '0.25', 't1'), 'BNB'), BTC_USDT);
    expect(ledger.cash('BNB').toFixed()).toBe('0.75');
    expect(ledger.cash('USDT').toFixed()).toBe('900');
    expect(ledger.fees.toFixed()).toBe('0.25');
    expect(ledger.position('BTC/USDT').quantity.toFixed()).toBe('1');
  });
});
