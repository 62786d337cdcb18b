import type { Bar, TradeTick } from '../../trading/data/market-data.js';
import type { InstrumentSpec } from '../../trading/model/instrument.js';
import type { IndicatorsState } from '../../trading/strategy/indicator-set.js';
import type { SeamReply, SeamRequest } from '../../trading/strategy/seam-protocol.js';
import type { StrategySnapshotJson } from '../../trading/strategy/strategy-seam.js';

/** The version of the step envelope; a handler refuses any other. */
export const LAMBDA_PROTOCOL = 1;

/**
 * A market input the strategy saw before this step, oldest first: a bar as
 * `['b', openTime, closeTime, open, high, low, close, volume]`, a trade as `['t', ts, price]`.
 * The handler feeds them to the strategy's bar history and to the indicators the step's
 * indicator state does not hold yet (the warm-up), so it needs nothing kept from an earlier call.
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
  /**
   * The indicators' exact state after the last step that succeeded, and the index in `warmup` of
   * the first entry that state does not hold (the entries before it only refill the bar
   * history; those from it on, the bars of failed steps or of a pause, feed the indicators too).
   * `null` before the host has one (start): the handler then feeds the whole warm-up to fresh
   * indicators. Absent in a step from a host that keeps no indicator state (an older Kairos):
   * the handler then asks for ten periods of warm-up (`keep`) and rebuilds from them.
   */
  readonly indicators?: StepIndicators | null;
  readonly request: SeamRequest;
}

/** The indicators' state a step carries, and where in its warm-up that state ends. */
export interface StepIndicators {
  readonly state: IndicatorsState;
  readonly from: number;
}

/** How many past inputs the handler needs to rebuild its indicators and history exactly. */
export interface WarmupNeed {
  readonly bars: number;
  readonly trades: number;
}

/**
 * The handler's answer: the seam reply (commands, log lines, client order ids used), the
 * strategy's snapshot and its indicators' state after the step (what the host keeps; the
 * indicators are absent from a failed reply and from a handler of an older Kairos), and how much
 * warm-up it needs.
 *
 * @example
 * const { reply, state, keep } = JSON.parse(payload) as LambdaStepResult;
 */
export interface LambdaStepResult {
  readonly v: typeof LAMBDA_PROTOCOL;
  readonly seq: number;
  readonly reply: SeamReply;
  readonly state: StrategySnapshotJson | null;
  readonly indicators?: IndicatorsState;
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
