import { isTrade, type Bar, type MarketEvent } from '../trading/data/market-data.js';
import type { OrderStore } from '../trading/execution/order-store.js';
import type { StrategySnapshotStore } from '../trading/live/strategy-snapshot-store.js';
import type { OrderEvent } from '../trading/model/order-events.js';

/**
 * The same order store, telling `onEvent` of every event once it is committed (a denial, a
 * fill…): what a node did, as stored, without the node knowing it is watched. A proxy, so the
 * store keeps every other method as it is.
 */
export function observeOrders<T extends OrderStore>(store: T, onEvent: (e: OrderEvent) => void): T {
  const tell = (e: OrderEvent) => {
    try {
      onEvent(e);
    } catch {
      // printing must never break trading
    }
  };
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      const fn = v as (...args: unknown[]) => unknown;
      switch (prop) {
        case 'commitBatch':
          return async (items: readonly { event: OrderEvent }[], ...rest: unknown[]) => {
            const r = await fn.call(target, items, ...rest);
            for (const it of items) tell(it.event);
            return r;
          };
        case 'insertOrder':
          return async (order: unknown, event: OrderEvent, ...rest: unknown[]) => {
            const r = await fn.call(target, order, event, ...rest);
            tell(event);
            return r;
          };
        case 'recordEvent':
          return async (after: unknown, event: OrderEvent, ...rest: unknown[]) => {
            const r = await fn.call(target, after, event, ...rest);
            if (r !== false) tell(event);
            return r;
          };
        default:
          return fn.bind(target);
      }
    },
  });
}

/** The same snapshot store, telling `onResume` where the run resumes when the node asks. */
export function observeResume<T extends StrategySnapshotStore>(
  store: T,
  onResume: (resumedFrom: number | null) => void,
): T {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      const fn = v as (...args: unknown[]) => unknown;
      if (prop !== 'latest') return fn.bind(target);
      return async (...args: unknown[]) => {
        const snap = (await fn.apply(target, args)) as { ts: number } | null;
        onResume(snap?.ts ?? null);
        return snap;
      };
    },
  });
}

/**
 * A feed that ends cleanly once `stopped()` is true, checked before every bar (batches are
 * split into single bars, so a stop waits for one bar, never a whole file's batch), and tells
 * `onBar` of each bar as it is handed on.
 */
export async function* stoppableFeed(
  feed: AsyncIterable<readonly MarketEvent[]>,
  stopped: () => boolean,
  onBar: (bar: Bar) => void = () => undefined,
): AsyncIterable<readonly MarketEvent[]> {
  for await (const batch of feed) {
    for (const e of batch) {
      if (stopped()) return;
      if (!isTrade(e)) onBar(e);
      yield [e];
    }
    if (stopped()) return;
  }
}

/**
 * SIGINT/SIGTERM stop a run gracefully (the node finishes its bar, reconciles, the summary
 * prints); a second signal exits at once (130). Returns the state and a function that removes
 * the handlers.
 */
export function stopOnSignals(onStop: (signal: string) => void): {
  stopped: () => boolean;
  signal: () => string | null;
  dispose: () => void;
} {
  let signal: string | null = null;
  const handler = (s: NodeJS.Signals) => {
    if (signal !== null) process.exit(130);
    signal = s;
    onStop(s);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    stopped: () => signal !== null,
    signal: () => signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
