import type { Decimal } from '../../trading/core/decimal.js';

/**
 * A decimal as Binance writes it: 8 decimal places (`"0.10000000"`), more only when the value
 * needs them (the simulator never rounds a balance or a fee away).
 *
 * @example
 * fmt(Dec('0.1')); // '0.10000000'
 */
export function fmt(d: Decimal): string {
  const places = Math.max(0, d.c.length - d.e - 1);
  return places <= 8 ? d.toFixed(8) : d.toFixed();
}

/**
 * A market-data float (a replayed price or size) with 8 decimal places.
 *
 * @example
 * num8(0.00162008); // '0.00162008'
 */
export function num8(x: number): string {
  return x.toFixed(8);
}
