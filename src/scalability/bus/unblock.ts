import type { Redis } from 'ioredis';

/**
 * Ends the blocking read (`XREAD`/`XREADGROUP … BLOCK`) of the connection `clientId` at once,
 * with `CLIENT UNBLOCK` sent on `control`: the read answers as if its block had run out. Used
 * before a reader is disconnected, so its command ends cleanly instead of being cut (a cut
 * command's timeout timer keeps running, and keeps a stopped process alive). Best effort: a
 * reader not blocked, or Redis away, changes nothing.
 *
 * @example
 * const id = (await reader.client('ID')) as number;
 * // … at the stop:
 * await unblock(redis, id);
 * reader.disconnect();
 */
export async function unblock(control: Redis, clientId: number | undefined): Promise<void> {
  if (clientId === undefined) return;
  await control.client('UNBLOCK', clientId).catch(() => undefined);
}
