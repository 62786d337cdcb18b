import type { Bar, TradeTick } from '../../trading/data/market-data.js';
import type { InstrumentSpec } from '../../trading/model/instrument.js';
import type { SeamReply, SeamRequest } from '../../trading/strategy/seam-protocol.js';
import type { StrategySnapshotJson } from '../../trading/strategy/strategy-seam.js';

/** The version of the step envelope; a handler refuses any other. */
export const LAMBDA_PROTOCOL = 1;

/**
 * A market input the strategy saw before this step, oldest first: a bar as
 * `['b', openTime, closeTime, open, high, low, close, volume]`, a trade as `['t', ts, price]`.
 * The handler feeds them to freshly made indicators (the warm-up), so it needs nothing kept
 * from an earlier call.
 */
export type WarmEntry =
  | readonly ['b', number, number, number, number, number, number, number]
  | readonly ['t', number, number];

/**
 * One step of a strategy run as a Lambda function (the invocation payload, JSON). `seq` numbers
 * the steps of a run; `state` is the strategy's snapshot after the previous step (null before
 * the first); `request` is the seam request of this step: its event (a bar, a trade, an order
 * event, start or stop) with the host's view (time, position, cash, open orders). No credential
 * or key is ever part of it.
 *
 * @example
 * const step: LambdaStep = { v: 1, seq: 7, strategyId: 'sma', instrument, params: { fast: 10 },
 *   state, warmup, request: { kind: 'bar', bar, view } };
 */
export interface LambdaStep {
  readonly v: typeof LAMBDA_PROTOCOL;
  readonly seq: number;
  readonly strategyId: string;
  /** The account its orders trade on (from the host's start request). */
  readonly accountId: string;
  /** The instrument, decimals as strings. */
  readonly instrument: InstrumentSpec;
  /** The params as resolved by the host (the handler checks them against its own schema). */
  readonly params: Readonly<Record<string, unknown>>;
  readonly state: StrategySnapshotJson | null;
  readonly warmup: readonly WarmEntry[];
  readonly request: SeamRequest;
}

/** How many past inputs the handler needs to rebuild its indicators and history exactly. */
export interface WarmupNeed {
  readonly bars: number;
  readonly trades: number;
}

/**
 * The handler's answer: the seam reply (commands, log lines, client order ids used), the
 * strategy's snapshot after the step (what the host keeps), and how much warm-up it needs.
 *
 * @example
 * const { reply, state, keep } = JSON.parse(payload) as LambdaStepResult;
 */
export interface LambdaStepResult {
  readonly v: typeof LAMBDA_PROTOCOL;
  readonly seq: number;
  readonly reply: SeamReply;
  readonly state: StrategySnapshotJson | null;
  readonly keep: WarmupNeed;
}

/**
 * A bar or a trade as a warm-up entry.
 *
 * @example
 * warmEntry(bar); // ['b', bar.openTime, bar.closeTime, 10, 11, 9, 10.5, 1200]
 */
export function warmEntry(x: Bar | TradeTick): WarmEntry {
  return 'price' in x
    ? ['t', x.ts, x.price]
    : ['b', x.openTime, x.closeTime, x.open, x.high, x.low, x.close, x.volume];
}

/**
 * The entries of `window` that cover `need` (its newest `need.bars` bars and `need.trades`
 * trades), in their order.
 *
 * @example
 * trimWarmup(window, { bars: 500, trades: 1 });
 */
export function trimWarmup(window: readonly WarmEntry[], need: WarmupNeed): WarmEntry[] {
  let bars = need.bars;
  let trades = need.trades;
  const kept: WarmEntry[] = [];
  for (let i = window.length - 1; i >= 0 && (bars > 0 || trades > 0); i--) {
    const e = window[i]!;
    if (e[0] === 'b' ? bars-- > 0 : trades-- > 0) kept.push(e);
  }
  return kept.reverse();
}
