import type { Bar, TradeTick } from '../data/market-data.js';
import type { OrderRequest } from '../execution/order-request.js';
import type { Instrument } from '../model/instrument.js';
import type { OrderEventJson } from '../model/order-json.js';
import type { JsonObject } from './strategy-context.js';
import type { StrategyServices } from './strategy-runner.js';

/** A value, or a promise of it: an in-process strategy answers at once, a remote one later. */
export type Awaitable<T> = T | Promise<T>;

/** An order request as plain JSON: decimals as strings. */
export type OrderRequestJson = Omit<OrderRequest, 'quantity' | 'price' | 'triggerPrice'> & {
  readonly quantity: string;
  readonly price?: string;
  readonly triggerPrice?: string;
};

/** A command a strategy made: a submit (under the client order id it was given) or a cancel. */
export type StrategyCommand =
  | {
      readonly kind: 'submit';
      readonly clientOrderId: string;
      readonly request: OrderRequestJson;
      readonly ts: number;
    }
  | { readonly kind: 'cancel'; readonly clientOrderId: string; readonly ts: number };

/** A line the strategy logged, at its time. */
export interface StrategyLogLine {
  readonly ts: number;
  readonly message: string;
}

/**
 * What one call to a strategy produced. Behind the remote seam: the commands it made (the host
 * has executed them, in order, when the call resolves), its log lines (written to the host's
 * log) and the number of order events it was handed. In-process, commands are executed and lines
 * written as they are made, so the lists are empty.
 */
export interface StrategyOutput {
  readonly commands: readonly StrategyCommand[];
  readonly logs: readonly StrategyLogLine[];
  readonly events: number;
}

/** How a strategy starts: fresh (`state: null`, `init` runs) or resumed from a snapshot. */
export interface StrategyStart {
  readonly state: JsonObject | null;
  /** Client order ids already used (new ones continue after them). */
  readonly ordersMade: number;
  /** The seed of its random source, or the state saved in a snapshot. */
  readonly random: number | readonly number[];
}

/** What is saved to resume a strategy later, plain JSON. */
export interface StrategySnapshotJson {
  readonly state: JsonObject;
  readonly ordersMade: number;
  readonly random: readonly number[];
}

/** What a seam is built on: the strategy's id and instrument, and the host's services. */
export interface SeamHost {
  readonly strategyId: string;
  readonly instrument: Instrument;
  /** The host's services for this strategy (the kernel's `strategyServices`), given its random source. */
  services(random: () => number): StrategyServices;
}

/**
 * The one interface through which a host (backtest, trading node, server) talks to a strategy,
 * wherever it runs: in this process (`InProcessSeam`, the fast path) or behind text messages
 * (`RemoteSeam`: a worker, a Lambda). Calls may return a promise: await them in order, one at a
 * time. Inputs are plain data (bars and trades are numbers, order events their JSON form),
 * outputs too (commands, log lines, a JSON snapshot).
 *
 * The seam's host half executes the strategy's commands through the host's risk gate and OMS,
 * and hands the strategy the order events that reach it: `onBar`/`onTrade` first hand over
 * those that came since the last call (fills at a bar's open before the bar), then after each
 * call those its own commands caused, in order; `drain` hands over those that came in between
 * (a venue's answers after the host settled). A handler that throws rejects the call with a
 * `StrategyError` (its phase, bar index and time), as in-process.
 *
 * @example
 * const seam: StrategySeam = new RemoteSeam(host, localTransport(side));
 * await seam.start({ state: null, ordersMade: 0, random: 1 });
 * kernel.bus.subscribe<Bar>(Topics.bars(inst.id), (bar) => void (pending = seam.onBar(bar)));
 * kernel.onBar(bar);
 * await pending; // the orders it made have passed the gate
 * const { state, ordersMade, random } = await seam.snapshot();
 */
export interface StrategySeam {
  readonly strategyId: string;
  /** Calls `init` (state null) or takes back a saved state. */
  start(input: StrategyStart): Awaitable<StrategyOutput>;
  /** A closed bar: indicators, history, then `onBar`. */
  onBar(bar: Bar): Awaitable<StrategyOutput>;
  /** A public trade: trade-fed indicators, then `onTrade`. */
  onTrade(tick: TradeTick): Awaitable<StrategyOutput>;
  /** A bar seen before (a restart's warm-up, a paused venue): indicators and history only. */
  warm(bar: Bar): Awaitable<void>;
  /** A trade seen before: trade-fed indicators only. */
  warmTrade(tick: TradeTick): Awaitable<void>;
  /** An order event the strategy could not see on the bus (one settled during recovery). */
  onOrderEvent(event: OrderEventJson): Awaitable<StrategyOutput>;
  /** Hands over the order events that reached the strategy since the last call. */
  drain(): Awaitable<StrategyOutput>;
  /**
   * While held (a replayed bar the node shows event by event, waiting for each call), events
   * that came while a request was out wait, as behind further calls, for the next call after
   * it is let go (`drain`): in-process they come after the node's whole synchronous stretch.
   * Nothing to do in-process.
   */
  hold?(on: boolean): void;
  /** The state to save (checked to be plain JSON), the ids used and the random source's state. */
  snapshot(): Awaitable<StrategySnapshotJson>;
  /** Calls `onStop`, then returns the final snapshot. */
  stop(): Awaitable<StrategySnapshotJson>;
  /** Lets go of where the strategy runs (its thread) once the instance ends; nothing in-process. */
  close?(): Awaitable<void>;
}

/** An output with nothing in it (in-process calls, a drain with nothing to hand over). */
export const NO_OUTPUT: StrategyOutput = Object.freeze({
  commands: Object.freeze([]),
  logs: Object.freeze([]),
  events: 0,
});
