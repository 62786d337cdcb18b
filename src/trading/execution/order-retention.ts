import { KairosError } from '../core/errors.js';

/** How long a closed order is kept by default (`closedOrderRetentionMs`): 10 minutes. */
export const CLOSED_ORDER_RETENTION_MS = 600_000;

/** The longest time between two sweeps (of the injected clock). */
const SWEEP_EVERY_MS = 60_000;

/**
 * `closedOrderRetentionMs` (or the setting `name`) checked: a finite number of milliseconds ≥ 0,
 * else `CONFIG_INVALID` naming the setting.
 *
 * @example
 * const ms = retentionMs(options.closedOrderRetentionMs ?? CLOSED_ORDER_RETENTION_MS);
 */
export function retentionMs(ms: unknown, name = 'closedOrderRetentionMs'): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)
    throw new KairosError(
      'CONFIG_INVALID',
      `${name}: must be a finite number of milliseconds >= 0, was ${String(ms)}`,
    );
  return ms;
}

/** What the OMS keeps of one order besides the order itself, while it holds it. */
interface Held {
  /** When it was last seen closed (its retention runs from then); undefined while open. */
  closedAt: number | undefined;
  /** The venue and trade id of each fill applied to it here, in pairs (released with it). */
  readonly trades: string[];
  /** The `venue:tradeId` keys of its stored fills, given to `restore`. */
  readonly restored: readonly string[];
}

/** What the OMS holds now (`ExecutionEngine.memory`, a diagnostic). */
export interface OmsMemory {
  /** Orders held: the open ones and those closed within the retention window. */
  readonly orders: number;
  /** Trade ids of applied fills remembered (of the orders held). */
  readonly tradeIds: number;
  /** Stored trade keys of restored orders remembered. */
  readonly restoredKeys: number;
  /** Cancels waiting for an UNKNOWN order's outcome. */
  readonly queuedCancels: number;
}

/**
 * The OMS's bookkeeping for releasing closed orders (live and paper; a backtest keeps every
 * order for its report): an order terminal for `retentionMs` of the injected clock, with no
 * report about it meanwhile, is released with its trade ids. Sweeps run at the end of the OMS's
 * outermost call, at most once a minute of the clock (no timers): see
 * `docs/decisions/oms-retention.md`.
 *
 * @example
 * const retention = new OrderRetention(600_000, () => clock.now());
 * retention.held('k-1').trades.push('SIM', 'T1');
 * const closedSince = (id: string) => (isTerminal(orders.get(id)!.status) ? orders.get(id)!.updatedAt : undefined);
 * for (const id of retention.due(closedSince, 'k-1').keys()) release(id);
 */
export class OrderRetention {
  readonly #held = new Map<string, Held>();
  #nextSweep = -Infinity;

  constructor(
    readonly retentionMs: number,
    private readonly now: () => number,
  ) {}

  /** The record of an order now held (made when there is none). */
  // Stryker disable next-line ArrayDeclaration: equivalent, no restored key is Stryker's filler text
  held(clientOrderId: string, restored: readonly string[] = []): Held {
    let h = this.#held.get(clientOrderId);
    if (h === undefined) {
      h = { closedAt: undefined, trades: [], restored };
      this.#held.set(clientOrderId, h);
    }
    return h;
  }

  /** A report about a closed order: it is kept a whole window from now. */
  touched(clientOrderId: string, closed: boolean): void {
    const h = this.#held.get(clientOrderId);
    if (h) h.closedAt = closed ? this.now() : undefined;
  }

  /**
   * The orders to release now (removed here): closed, and closed for `retentionMs` both since it
   * was seen closed and since its last event (`closedSince`: the order's `updatedAt`, undefined
   * while open; a venue's time may run ahead of the clock), so a strategy reading it within the
   * window (`inOrderWindow`) finds it in every mode. Notes the closed ones not yet noted. Runs at
   * most once a minute of the clock; `keep` is never released (the order the current call is
   * about: its caller reads it next).
   */
  due(
    closedSince: (clientOrderId: string) => number | undefined,
    keep: string | null,
  ): Map<string, Held> {
    const out = new Map<string, Held>();
    const now = this.now();
    if (now < this.#nextSweep) return out;
    this.#nextSweep = now + Math.min(this.retentionMs, SWEEP_EVERY_MS);
    for (const [id, h] of this.#held) {
      const since = closedSince(id);
      if (since === undefined) {
        h.closedAt = undefined;
        continue;
      }
      h.closedAt ??= now;
      if (id === keep || now - Math.max(h.closedAt, since) < this.retentionMs) continue;
      this.#held.delete(id);
      out.set(id, h);
    }
    return out;
  }
}
