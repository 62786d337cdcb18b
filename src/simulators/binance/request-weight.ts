import { BinanceErrors } from './binance-error.js';

const MINUTE = 60_000;

/** Binance's IP request-weight limit settings. */
export interface WeightLimits {
  /** Weight allowed per clock minute (Binance spot: 6000), or per `windowMs` when given. */
  readonly perMinute: number;
  /** The window the weight counts in, ms, a whole number of seconds (default: Binance's minute). */
  readonly windowMs?: number;
  /** Requests refused with 429 in one minute before the IP is banned (418). */
  readonly refusalsBeforeBan: number;
  /** How long a ban lasts, ms (Binance starts at 2 minutes). */
  readonly banMs: number;
}

/**
 * Binance's request-weight accounting: each request adds its weight to the current clock minute;
 * over the limit it is refused with 429 and Retry-After until the minute ends, and a client that
 * keeps sending is banned with 418 (ban-until in the message).
 *
 * @example
 * const w = new RequestWeight({ perMinute: 6000, refusalsBeforeBan: 5, banMs: 120_000 });
 * res.setHeader('x-mbx-used-weight-1m', w.charge(now, 20));
 */
export class RequestWeight {
  #window = -1;
  #used = 0;
  #refusals = 0;
  #banUntil = 0;

  constructor(readonly limits: WeightLimits) {}

  /** Charges a request; returns the weight used this minute, or throws 429/418. */
  charge(now: number, weight: number): number {
    if (now < this.#banUntil)
      throw BinanceErrors.banned(this.#banUntil, Math.ceil((this.#banUntil - now) / 1000));
    const span = this.limits.windowMs ?? MINUTE;
    const window = Math.floor(now / span);
    if (window !== this.#window) {
      this.#window = window;
      this.#used = 0;
      this.#refusals = 0;
    }
    if (this.#used + weight > this.limits.perMinute) {
      this.#refusals++;
      if (this.#refusals > this.limits.refusalsBeforeBan) {
        this.#banUntil = now + this.limits.banMs;
        throw BinanceErrors.banned(this.#banUntil, Math.ceil(this.limits.banMs / 1000));
      }
      throw BinanceErrors.tooManyRequests(
        this.limits.perMinute,
        Math.ceil(((window + 1) * span - now) / 1000),
        weightInterval(span),
      );
    }
    this.#used += weight;
    return this.#used;
  }

  /** Weight used in the current window. */
  used(now: number): number {
    return Math.floor(now / (this.limits.windowMs ?? MINUTE)) === this.#window ? this.#used : 0;
  }
}

/** A weight window as `exchangeInfo.rateLimits` says it: whole minutes, else seconds. */
export function weightInterval(windowMs: number): {
  readonly interval: 'MINUTE' | 'SECOND';
  readonly intervalNum: number;
} {
  return windowMs % MINUTE === 0
    ? { interval: 'MINUTE', intervalNum: windowMs / MINUTE }
    : { interval: 'SECOND', intervalNum: windowMs / 1000 };
}
