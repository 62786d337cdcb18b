import { KairosError } from '../core/errors.js';
import type { StrategyTransport } from './seam-protocol.js';

/** A message port as `worker_threads` has it; only strings are posted through it. */
export interface TextPort {
  postMessage(message: string): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

/** `<id>\n<text>`: a request or its reply, matched by id. */
export const frame = (id: number, text: string) => `${id}\n${text}`;

/** A frame's id and text; `STRATEGY_SEAM` when the message is not a frame. */
export function unframe(message: unknown): { id: number; text: string } {
  const at = typeof message === 'string' ? message.indexOf('\n') : -1;
  if (at < 1)
    throw new KairosError('STRATEGY_SEAM', 'strategy seam: a port message is not "<id>\\n<text>"');
  const m = message as string;
  return { id: Number(m.slice(0, at)), text: m.slice(at + 1) };
}

/**
 * A `StrategyTransport` over a message port (a worker's `parentPort`, one end of a
 * `MessageChannel`): each request is posted as text and resolves with the reply of its id.
 *
 * @example
 * const worker = new Worker(new URL('./strategy-worker.js', import.meta.url));
 * const seam = new RemoteSeam(host, portTransport(worker));
 */
export function portTransport(port: TextPort): StrategyTransport {
  let next = 0;
  const waiting = new Map<number, (reply: string) => void>();
  port.on('message', (message) => {
    const { id, text } = unframe(message);
    const resolve = waiting.get(id);
    waiting.delete(id);
    resolve?.(text);
  });
  return (request) =>
    new Promise<string>((resolve) => {
      const id = ++next;
      waiting.set(id, resolve);
      port.postMessage(frame(id, request));
    });
}

/**
 * Answers the requests that arrive on a port with `handle` (a `StrategySide`'s): the other end
 * of `portTransport`, run where the strategy runs (a worker).
 *
 * @example
 * const side = new StrategySide(definition, params, 'sma', instrument);
 * serveStrategy(parentPort!, (text) => side.handle(text));
 */
export function serveStrategy(port: TextPort, handle: (request: string) => string): void {
  port.on('message', (message) => {
    const { id, text } = unframe(message);
    port.postMessage(frame(id, handle(text)));
  });
}
