import WebSocket from 'ws';
import { until } from './until.js';

/**
 * A `/ws` client of `token`, authenticated and subscribed to `channels`, keeping every frame it
 * gets (parsed) in `frames`; `open()` says whether the connection still is. With `after`, each
 * subscription resumes after those sequences.
 */
export async function subscribedSocket<F extends { readonly type: string }>(
  url: string,
  token: string,
  channels: readonly string[],
  after?: Readonly<Record<string, number>>,
): Promise<{
  frames: F[];
  close: () => void;
  open: () => boolean;
  send: (message: unknown) => void;
  /** Sends `data` as it is (text, or binary for a Buffer). */
  sendRaw: (data: string | Buffer) => void;
  /** The close's code and reason, once it closed. */
  closed: () => { code: number; reason: string } | undefined;
}> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`);
  const frames: F[] = [];
  ws.on('message', (m) => frames.push(JSON.parse(String(m)) as F));
  let closed: { code: number; reason: string } | undefined;
  ws.on('close', (code, reason) => (closed = { code, reason: String(reason) }));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'auth', token }));
  for (const channel of channels)
    ws.send(JSON.stringify({ type: 'subscribe', channel, ...(after ? { after } : {}) }));
  await until(
    () => frames.filter((f) => f.type === 'subscribed').length === channels.length,
    10_000,
    'subscribed',
  );
  return {
    frames,
    close: () => ws.close(),
    open: () => ws.readyState === WebSocket.OPEN,
    send: (m) => ws.send(JSON.stringify(m)),
    sendRaw: (data) => ws.send(data),
    closed: () => closed,
  };
}
