import type { NodeRunResult } from '../trading/live/trading-node.js';
import type { Instrument } from '../trading/model/instrument.js';
import type { OrderStore } from '../trading/execution/order-store.js';
import type { StrategySnapshotStore } from '../trading/live/strategy-snapshot-store.js';
import type { MarketEvent } from '../trading/data/market-data.js';
import { RunPrinter, type RunInfo } from './run-printer.js';
import { observeOrders, observeResume, stopOnSignals, stoppableFeed } from './run-observers.js';

/**
 * Everything a paper or live command needs to show its run, in one place: wrap the node's
 * stores and feed with it, and call `end` in a `finally`. SIGINT/SIGTERM stop the feed
 * gracefully (`onStop` too, e.g. a venue feed's own stop).
 *
 * @example
 * const lines = runLines(info, { onStop: () => feed.stop() });
 * try { result = await new TradingNode({ ...cfg, orders: lines.orders(repo), snapshots: lines.snapshots(snaps) }).run(lines.feed(bars)); }
 * finally { lines.end(result, instrument); }
 */
export function runLines(
  info: RunInfo,
  opts: { onStop?: () => unknown; out?: (line: string) => void } = {},
) {
  const out = opts.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const printer = new RunPrinter(info, out, () => Date.now());
  const signals = stopOnSignals((signal) => {
    out(`${signal}: stopping after this bar…`);
    void opts.onStop?.();
  });
  return {
    printer,
    orders: <T extends OrderStore>(store: T): T =>
      observeOrders(store, (e) => printer.orderEvent(e)),
    snapshots: <T extends StrategySnapshotStore>(store: T): T =>
      observeResume(store, (from) => printer.started(from)),
    feed: (bars: AsyncIterable<readonly MarketEvent[]>) =>
      stoppableFeed(bars, signals.stopped, (b) => printer.bar(b)),
    /** The summary: finished, stopped by a signal, or FAILED (no result). */
    end: (result: NodeRunResult | null, instrument: Instrument) => {
      signals.dispose();
      const why = signals.signal()
        ? `stopped by ${signals.signal()}`
        : result
          ? 'finished'
          : 'FAILED';
      printer.summary(
        why,
        result
          ? {
              position: result.position,
              base: instrument.base,
              cash: result.cash,
              quote: instrument.quote,
            }
          : null,
      );
    },
  };
}
