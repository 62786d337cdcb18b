import type { LedgerCheckpoint, OrderStore } from '../execution/order-store.js';
import type { FillCurrencies } from '../portfolio/booked-fill.js';
import type { Ledger } from '../portfolio/ledger.js';
import { loadLedger } from './ledger-start.js';

/** Fills booked between two ledger checkpoints, by default. */
export const LEDGER_CHECKPOINT_FILLS = 1_000;

/**
 * Keeps the account's ledger checkpoint near the latest fill, so start-up reads a bounded number
 * of fills (`loadLedger`). Every `every` fills the core books, once they are committed, it books
 * the fills stored after the checkpoint onto it (a ledger of its own, dropped after: the core's
 * books fills in arrival order, a restart in the store's order) and saves the next one. One job at
 * a time; a failure is an alert (`LEDGER_CHECKPOINT_FAILED`) and the next start reads more.
 *
 * @example
 * const checkpoints = new LedgerCheckpoints(store, 1_000, () => new Ledger(cash), currencies, durable, alert);
 * checkpoints.onFill(); await checkpoints.idle();
 */
export class LedgerCheckpoints {
  #count = 0;
  #job: Promise<void> | null = null;

  constructor(
    private readonly store: OrderStore,
    private readonly every: number,
    private readonly fresh: () => Ledger,
    private readonly currencies: (instrumentId: string) => FillCurrencies,
    /** Resolves when every event journaled so far is committed. */
    private readonly durable: () => Promise<void>,
    private readonly alert: (message: string) => void,
  ) {
    if (!Number.isSafeInteger(every) || every < 1)
      throw new RangeError(`ledgerCheckpointFills: must be an integer of at least 1, got ${every}`);
  }

  /** A fill was booked: every `every` of them, the checkpoint moves on. */
  onFill(): void {
    if (++this.#count < this.every || this.#job !== null) return;
    this.#count = 0;
    this.#run(async () => {
      await this.durable();
      const { next } = await loadLedger(this.store, this.fresh(), this.currencies);
      if (next) await this.store.saveLedgerCheckpoint(next);
    });
  }

  /** Saves a checkpoint start-up made. */
  save(checkpoint: LedgerCheckpoint): void {
    this.#run(() => this.store.saveLedgerCheckpoint(checkpoint));
  }

  /** Resolves when no checkpoint is being made. */
  async idle(): Promise<void> {
    while (this.#job !== null) await this.#job;
  }

  #run(work: () => Promise<void>): void {
    const after = this.#job ?? Promise.resolve();
    const job: Promise<void> = after
      .then(work)
      .catch((e: unknown) =>
        this.alert(
          `the ledger checkpoint was not saved (${(e as Error).message}); the next start reads the fills since the last one`,
        ),
      )
      .finally(() => {
        if (this.#job === job) this.#job = null;
      });
    this.#job = job;
  }
}
