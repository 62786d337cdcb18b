import type { Counter } from '../trading/core/metrics.js';
import { WS_LIMITS, type WsClient } from './ws-client.js';

/** Below this many bytes queued, a resume pushes its next batch. */
const DRAINED_BYTES = WS_LIMITS.maxBufferedBytes / 4;

/**
 * Sends `message` to `c` (a string as it is, anything else as JSON) while its socket is open. A
 * client more than `WS_LIMITS.maxBufferedBytes` behind is closed (1013), told why, and counted in
 * `dropped`: nothing is buffered without bound.
 */
export const pushTo = (c: WsClient, message: unknown, dropped: Counter) => {
  if (c.socket.readyState !== c.socket.OPEN) return;
  if (c.socket.bufferedAmount > WS_LIMITS.maxBufferedBytes) {
    dropped.inc();
    c.socket.close(1013, 'slow consumer: too far behind, reconnect');
    return;
  }
  c.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
};

/** Waits until `c` has taken most of what was sent (a resume pushes in batches). */
export const drained = async (c: WsClient) => {
  // At most ~30 s; a client that takes nothing meanwhile is closed as a slow consumer by `push`.
  for (let i = 0; i < 3_000; i++) {
    if (c.socket.readyState !== c.socket.OPEN || c.socket.bufferedAmount < DRAINED_BYTES) return;
    await new Promise((r) => setTimeout(r, 10));
  }
};
