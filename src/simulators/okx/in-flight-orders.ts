import type { IncomingHttpHeaders } from 'node:http';
import { OkxError, OkxErrors } from './okx-error.js';

/**
 * The `expTime` header of a place request (OKX API v5, "Transaction Timeouts": a request
 * effective deadline, Unix ms; "the request will not be processed if the current system time of
 * the server is after the expTime"); undefined when absent, 51000 when not a whole number.
 */
export function expTimeOf(headers: IncomingHttpHeaders): number | undefined {
  const raw = headers.exptime;
  const v = Array.isArray(raw) ? raw[0] : raw;
  if (v === undefined || v === '') return undefined;
  if (!/^\d{1,16}$/.test(v)) throw OkxErrors.param('expTime');
  return Number(v);
}

/** OKX's answer to a place request processed after its `expTime` (HTTP 200, code 50036). */
export const expiredRequest = (): OkxError =>
  new OkxError(
    '50036',
    "The expTime can't be earlier than the current system time. Please adjust the expTime and try again.",
    200,
  );

/**
 * A fault switch: place requests received while `hold()` is on wait, unprocessed and unanswered
 * (a request still in flight inside the venue, after the client may have given up), until
 * `release()` lets them through in arrival order, processed at that moment; `drop()` (the
 * venue closing) lets them end unprocessed.
 *
 * @example
 * held.hold(); // ... a create times out at the client
 * await held.release(); // the venue takes it now, if its expTime allows
 */
export class InFlightOrders {
  #holding = false;
  readonly #waiting: { go: (process: boolean) => void; done: Promise<void> }[] = [];

  hold(): void {
    this.#holding = true;
  }

  /** How many requests wait. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Passes a place request through: at once, or (holding) when released. `work` runs then;
   * nothing runs when dropped.
   */
  async pass(work: () => void): Promise<void> {
    if (!this.#holding) return work();
    let go!: (process: boolean) => void;
    const released = new Promise<boolean>((r) => (go = r));
    let finish!: () => void;
    this.#waiting.push({ go, done: new Promise<void>((r) => (finish = r)) });
    try {
      if (await released) work();
    } finally {
      finish();
    }
  }

  /** Stops holding and processes what waits, in order; resolves once all were answered. */
  async release(): Promise<void> {
    this.#holding = false;
    const all = this.#waiting.splice(0);
    for (const w of all) {
      w.go(true);
      await w.done;
    }
  }

  /** Stops holding; what waits ends unprocessed. */
  drop(): void {
    this.#holding = false;
    for (const w of this.#waiting.splice(0)) w.go(false);
  }
}
