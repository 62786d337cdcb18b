import { toDecimal, type Decimal, type DecimalInput } from '../core/decimal.js';
import { KairosError } from '../core/errors.js';

/**
 * A tradable instrument and its venue rules. Prices live on a `tickSize` grid, quantities on
 * a `lotSize` grid. Fees are fractions of notional (0.001 = 0.1 %).
 *
 * @example
 * const btc = makeInstrument({ id: 'BTC/USDT', base: 'BTC', quote: 'USDT',
 *   tickSize: '0.01', lotSize: '0.00001', minQuantity: '0.00001', minNotional: '5',
 *   makerFee: '0.001', takerFee: '0.001' });
 */
export interface Instrument {
  readonly id: string;
  readonly base: string;
  readonly quote: string;
  readonly tickSize: Decimal;
  readonly lotSize: Decimal;
  readonly minQuantity: Decimal;
  readonly minNotional: Decimal;
  readonly makerFee: Decimal;
  readonly takerFee: Decimal;
}

/** The fields of an instrument, with decimals as strings or numbers. */
export interface InstrumentSpec {
  readonly id: string;
  readonly base: string;
  readonly quote: string;
  readonly tickSize: DecimalInput;
  readonly lotSize: DecimalInput;
  readonly minQuantity?: DecimalInput;
  readonly minNotional?: DecimalInput;
  readonly makerFee?: DecimalInput;
  readonly takerFee?: DecimalInput;
}

function field(
  spec: InstrumentSpec,
  name: keyof InstrumentSpec,
  rule: 'positive' | 'non-negative',
) {
  const raw = spec[name];
  let d: Decimal;
  try {
    d = toDecimal(raw ?? 0);
  } catch {
    throw new KairosError(
      'INSTRUMENT_INVALID',
      `instrument ${spec.id}: ${name} must be a decimal number`,
    );
  }
  if (rule === 'positive' ? d.lte(0) : d.lt(0)) {
    throw new KairosError('INSTRUMENT_INVALID', `instrument ${spec.id}: ${name} must be ${rule}`);
  }
  return d;
}

/**
 * Validates a spec and makes an `Instrument`; throws `KairosError('INSTRUMENT_INVALID')` naming
 * the field and the rule.
 *
 * @example
 * makeInstrument({ id: 'ORCL', base: 'ORCL', quote: 'USD', tickSize: '0.01', lotSize: '1' });
 */
export function makeInstrument(spec: InstrumentSpec): Instrument {
  if (!spec.id) throw new KairosError('INSTRUMENT_INVALID', 'instrument: id must not be empty');
  return Object.freeze({
    id: spec.id,
    base: spec.base,
    quote: spec.quote,
    tickSize: field(spec, 'tickSize', 'positive'),
    lotSize: field(spec, 'lotSize', 'positive'),
    minQuantity: field(spec, 'minQuantity', 'non-negative'),
    minNotional: field(spec, 'minNotional', 'non-negative'),
    makerFee: field(spec, 'makerFee', 'non-negative'),
    takerFee: field(spec, 'takerFee', 'non-negative'),
  });
}

/** An instrument as plain JSON: its spec with every decimal as an exact string. */
export interface InstrumentJson {
  readonly id: string;
  readonly base: string;
  readonly quote: string;
  readonly tickSize: string;
  readonly lotSize: string;
  readonly minQuantity: string;
  readonly minNotional: string;
  readonly makerFee: string;
  readonly takerFee: string;
}

/**
 * The instrument as plain JSON (what `makeInstrument` takes back).
 *
 * @example
 * JSON.stringify(instrumentToJson(inst)); // {"id":"BTC/USDT","tickSize":"0.01",…}
 */
export function instrumentToJson(i: Instrument): InstrumentJson {
  return {
    id: i.id,
    base: i.base,
    quote: i.quote,
    tickSize: i.tickSize.toFixed(),
    lotSize: i.lotSize.toFixed(),
    minQuantity: i.minQuantity.toFixed(),
    minNotional: i.minNotional.toFixed(),
    makerFee: i.makerFee.toFixed(),
    takerFee: i.takerFee.toFixed(),
  };
}
