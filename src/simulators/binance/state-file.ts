import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { toDecimal, type Decimal } from '../../trading/core/decimal.js';
import { KairosError } from '../../trading/core/errors.js';
import type { MarketPosition } from './market.js';
import type { SimOrder, SimTrade } from './sim-order.js';
import type { RestoredAccount, VenueAccount } from './venue-accounts.js';

/** Which market a state belongs to: a state is taken back only over the same bars. */
export interface MarketFingerprint {
  readonly symbol: string;
  readonly bars: number;
  readonly firstOpenTime: number;
  readonly lastOpenTime: number;
}

/** The replay's time settings: the shift of the bars and, in real time, the clock's anchor. */
export interface SavedClock {
  readonly shiftMs: number;
  readonly realtime: {
    readonly wall0: number;
    readonly from: number;
    readonly speed: number;
  } | null;
}

/** Everything a restarted venue needs to answer exactly as before. */
export interface SavedVenue {
  readonly market: MarketFingerprint;
  readonly clock: SavedClock;
  readonly position: MarketPosition;
  readonly ids: { readonly lastOrderId: number; readonly lastTradeId: number };
  readonly accounts: ReadonlyMap<string, RestoredAccount>;
}

const VERSION = 1;

type Json = Record<string, unknown>;

const ORDER_DECIMALS = [
  'price',
  'origQty',
  'origQuoteOrderQty',
  'executedQty',
  'cummulativeQuoteQty',
  'locked',
] as const;
const TRADE_DECIMALS = ['price', 'qty', 'quoteQty', 'commission'] as const;

/** A record with its decimal fields as exact strings. */
function decimalsOut<T extends object>(o: T, fields: readonly (keyof T)[]): Json {
  const out: Json = { ...(o as Json) };
  for (const f of fields) out[f as string] = (o[f] as Decimal).toFixed();
  return out;
}

/** A record with its decimal fields read back from exact strings. */
function decimalsIn<T>(j: Json, fields: readonly (keyof T)[]): T {
  const out: Json = { ...j };
  for (const f of fields) out[f as string] = toDecimal(String(j[f as string]));
  return out as T;
}

/** The venue's state as JSON text (decimals as exact strings; secrets are never written). */
export function stateJson(v: {
  market: MarketFingerprint;
  clock: SavedClock;
  position: MarketPosition;
  ids: { lastOrderId: number; lastTradeId: number };
  accounts: readonly VenueAccount[];
}): string {
  return JSON.stringify({
    version: VERSION,
    market: v.market,
    clock: v.clock,
    position: v.position,
    ids: v.ids,
    accounts: v.accounts.map((a) => ({
      apiKey: a.apiKey,
      balances: a.account.balances(),
      orders: a.matcher.orders().map((o) => decimalsOut(o, ORDER_DECIMALS)),
      trades: a.matcher.trades().map((t) => decimalsOut(t, TRADE_DECIMALS)),
      listenKeys: a.userData.listenKeys(),
    })),
  });
}

/** Parses a state file's text; CONFIG_INVALID naming the file when it is not one. */
export function parseState(text: string, file: string): SavedVenue {
  let j: Json;
  try {
    j = JSON.parse(text) as Json;
  } catch (e) {
    throw new KairosError('CONFIG_INVALID', `state: ${file} is not a venue state file`, {
      cause: e,
    });
  }
  if (j.version !== VERSION)
    throw new KairosError(
      'CONFIG_INVALID',
      `state: ${file} has version ${String(j.version)}, this venue reads ${VERSION}`,
    );
  const accounts = new Map<string, RestoredAccount>();
  for (const a of j.accounts as Json[])
    accounts.set(String(a.apiKey), {
      balances: a.balances as RestoredAccount['balances'],
      orders: (a.orders as Json[]).map((o) => decimalsIn<SimOrder>(o, ORDER_DECIMALS)),
      trades: (a.trades as Json[]).map((t) => decimalsIn<SimTrade>(t, TRADE_DECIMALS)),
      listenKeys: a.listenKeys as [string, number][],
    });
  return {
    market: j.market as MarketFingerprint,
    clock: j.clock as SavedClock,
    position: j.position as MarketPosition,
    ids: j.ids as SavedVenue['ids'],
    accounts,
  };
}

/**
 * The venue's state file. `write` is synchronous and atomic: the text goes to a temporary file
 * in the same folder, is flushed to disk (fsync), then renamed over the state file, and the
 * folder is flushed, so a kill at any moment leaves either the previous state or the new one,
 * never a torn file. The venue writes before any answer or user-data event that shows a change
 * leaves it, so what a client was told survives a SIGKILL.
 *
 * @example
 * const file = new StateFile('var/sim-state.json');
 * const saved = file.read(); // null on the first start
 * file.write(text);
 */
export class StateFile {
  readonly #tmp: string;

  constructor(readonly file: string) {
    this.#tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  }

  /** The saved state, or null when there is none yet (a leftover temporary file is removed). */
  read(): SavedVenue | null {
    rmSync(this.#tmp, { force: true });
    if (!existsSync(this.file)) return null;
    return parseState(readFileSync(this.file, 'utf8'), this.file);
  }

  /** Replaces the state file with `text`, atomically and durably. */
  write(text: string): void {
    const fd = openSync(this.#tmp, 'w', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(this.#tmp, this.file);
    const dir = openSync(path.dirname(this.file), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }
}
