import fc from 'fast-check';
import type { KairosError } from '../../../../src/trading/core/errors.js';
import { instrumentToJson, makeInstrument } from '../../../../src/trading/model/instrument.js';

const base = { id: 'ETH/USD', base: 'ETH', quote: 'USD', tickSize: '0.05', lotSize: '0.001' };

function refusal(spec: Parameters<typeof makeInstrument>[0]): KairosError {
  try {
    makeInstrument(spec);
  } catch (e) {
    return e as KairosError;
  }
  throw new Error('accepted');
}

describe('instrument specs a trader configures', () => {
  it('keeps maker and taker fees, tick and lot apart, and defaults the minimums and fees to 0', () => {
    const i = makeInstrument({
      ...base,
      makerFee: '0.0002',
      takerFee: '0.0007',
      minNotional: '10',
    });
    expect(
      [i.tickSize, i.lotSize, i.makerFee, i.takerFee, i.minNotional, i.minQuantity].map((d) =>
        d.toFixed(),
      ),
    ).toEqual(['0.05', '0.001', '0.0002', '0.0007', '10', '0']);
    expect(makeInstrument(base).takerFee.toFixed()).toBe('0');
  });

  it('refuses a tick or lot that is not positive, naming the instrument, the field and the rule', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('tickSize' as const, 'lotSize' as const),
        fc.integer({ min: -1000, max: 0 }),
        (name, v) => {
          const e = refusal({ ...base, [name]: String(v) });
          expect(e.code).toBe('INSTRUMENT_INVALID');
          expect(e.message).toBe(`instrument ETH/USD: ${name} must be positive`);
        },
      ),
    );
    // A zero tick or lot would snap every price or quantity to nothing: refused in every spelling.
    for (const name of ['tickSize', 'lotSize'] as const) {
      for (const zero of ['0', '0.000', '-0', '0e3']) {
        expect(refusal({ ...base, [name]: zero }).message).toBe(
          `instrument ETH/USD: ${name} must be positive`,
        );
      }
    }
  });

  it('refuses a negative fee or minimum but takes 0', () => {
    const names = ['minQuantity', 'minNotional', 'makerFee', 'takerFee'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.integer({ min: 1, max: 1000 }), (name, v) => {
        const e = refusal({ ...base, [name]: String(-v / 1000) });
        expect(e.code).toBe('INSTRUMENT_INVALID');
        expect(e.message).toBe(`instrument ETH/USD: ${name} must be non-negative`);
        expect(makeInstrument({ ...base, [name]: '0' })[name].toFixed()).toBe('0');
      }),
    );
  });

  it('refuses a value that is not a decimal number and an empty id', () => {
    const e = refusal({ ...base, makerFee: 'ten bps' });
    expect(e.code).toBe('INSTRUMENT_INVALID');
    expect(e.message).toBe('instrument ETH/USD: makerFee must be a decimal number');
    const noId = refusal({ ...base, id: '' });
    expect(noId.code).toBe('INSTRUMENT_INVALID');
    expect(noId.message).toBe('instrument: id must not be empty');
  });
});

describe('an instrument as JSON (the API, the market catalog)', () => {
  it('carries every rule as an exact decimal string and makes the same instrument back', () => {
    // Every field as the text a venue's catalog gives: the JSON must be exactly this.
    const spec = {
      id: 'PEPE/USDT',
      base: 'PEPE',
      quote: 'USDT',
      tickSize: '0.00000001',
      lotSize: '1000',
      minQuantity: '5000',
      minNotional: '1',
      makerFee: '0.0002',
      takerFee: '0.0007',
    };
    const json = instrumentToJson(makeInstrument(spec));
    expect(json).toEqual(spec);
    expect(instrumentToJson(makeInstrument(JSON.parse(JSON.stringify(json))))).toEqual(spec);
  });
});
