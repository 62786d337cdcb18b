import type { Redis } from 'ioredis';

/** What of an ioredis `Command` this reads: its reject, and the `commandTimeout` timer (private). */
interface TimedCommand {
  reject: (err: Error) => void;
  readonly _commandTimeoutTimer?: NodeJS.Timeout;
}

const released = new WeakSet<object>();

/**
 * ioredis clears a command's `commandTimeout` timer only when the command is answered, not when it
 * is rejected (an error reply such as the command stream's `BUSYGROUP`, cut by `disconnect()`
 * while in flight, refused while the connection is down: redis/ioredis#1535, open). Such a timer kept a drained `kairos serve` alive for up to the
 * command timeout after everything had stopped (3 s for a blocking read cut at the stop, seen in
 * the failover test's rolling restarts). From this call on, a rejected command's timer is
 * unref'd: it still fires (a no-op on a settled command), but holds no process. Every client of
 * `Driver`, duplicates included, shares its prototype; patched once.
 */
export function releaseRejectedCommandTimers(Driver: { prototype: Redis }): void {
  const proto = Driver.prototype;
  if (released.has(proto)) return;
  released.add(proto);
  const send = proto.sendCommand;
  proto.sendCommand = function (this: Redis, command: TimedCommand, ...rest: unknown[]) {
    const reject = command.reject;
    command.reject = (err: Error) => {
      command._commandTimeoutTimer?.unref();
      reject(err);
    };
    return (send as (...a: unknown[]) => unknown).call(this, command, ...rest);
  } as unknown as Redis['sendCommand'];
}
