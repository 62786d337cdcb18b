import { KairosError } from '../trading/core/errors.js';
import { isVenueBusy, type VenueBusyError } from '../trading/execution/venue-busy.js';
import { busyError } from '../trading/venues/ccxt/error-mapping.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits out a venue's rate limit or ban at start-up, up to `maxWaitMs` in all; past that (or a
 * ban longer than what is left) it gives up with one line saying until when.
 */
export function banWaiter(maxWaitMs: number, log: (line: string) => void) {
  const deadline = Date.now() + maxWaitMs;
  return async (e: VenueBusyError): Promise<boolean> => {
    if (e.code === 'VENUE_UNAVAILABLE') return false;
    const wait = Math.max(250, e.untilMs - Date.now());
    if (Date.now() + wait > deadline) return false;
    log(`${e.message}: waiting ${Math.ceil(wait / 1000)} s before starting`);
    await sleep(wait);
    return true;
  };
}

/** The one line a start-up refused by the venue ends with. */
export function startRefused(e: VenueBusyError): KairosError {
  return new KairosError(
    e.code,
    `${e.message}; not started: start again after ${new Date(e.untilMs).toISOString()} (or give --max-ban-wait)`,
  );
}

/**
 * `open()` (a venue's connection, markets loaded) at start-up during a rate limit or ban of
 * `exchange`: waited out with `wait` (`banWaiter`) and tried again, else `startRefused`. Each try
 * builds the connection anew (ccxt keeps a failed markets load and answers it again). `kairos
 * live` and `kairos paper --exchange` (`docs/venues.md`).
 */
export async function openWaitingOutBans<T>(
  exchange: string,
  wait: (e: VenueBusyError) => Promise<boolean>,
  open: () => Promise<T>,
): Promise<T> {
  for (;;) {
    try {
      return await open();
    } catch (e) {
      const busy = busyError(e, exchange, Date.now());
      if (!isVenueBusy(busy) || busy.code === 'VENUE_UNAVAILABLE') throw e;
      if (!(await wait(busy))) throw startRefused(busy);
    }
  }
}
