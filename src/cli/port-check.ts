import net from 'node:net';
import { KairosError } from '../trading/core/errors.js';

/**
 * Checks that `host:port` can be bound, before anything is initialised: a taken port fails at
 * once (`PORT_IN_USE`, naming the flag) and leaves `KAIROS_HOME` as it was. Port 0 (any free
 * one) always passes. The probe is released before the server binds; a port taken in between
 * still fails the server's own listen.
 */
export async function checkPortFree(
  host: string,
  port: number,
  /** The setting that chose the port, as the error names it (`METRICS_PORT`). */
  setting = '--port',
): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE' || e.code === 'EACCES'
          ? new KairosError(
              'PORT_IN_USE',
              `${setting} ${port}: ${e.code === 'EACCES' ? 'not allowed' : 'already in use'} on ${host} (pick another with ${setting}, or 0 for any free one)`,
            )
          : new KairosError('PORT_IN_USE', `${host}, ${setting} ${port}: ${e.message}`, {
              cause: e,
            }),
      ),
    );
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
