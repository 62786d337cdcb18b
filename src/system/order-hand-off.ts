import type { OrderHandOff } from '../api/deps.js';
import type {
  AccountCommand,
  CommandAnswer,
  CommandHandler,
  CommandStream,
} from '../scalability/bus/command-stream.js';
import { RedisCommandStream } from '../scalability/bus/redis-command-stream.js';
import type { RedisClient } from '../scalability/connections.js';
import { KairosError } from '../trading/core/errors.js';
import type { Logger } from '../trading/core/logger.js';
import { SOLE_OWNER, type AccountOwnership } from './account-ownership.js';

/** What the hand-off works with. */
export interface AccountHandOffOptions {
  readonly ownership: AccountOwnership;
  readonly stream: CommandStream;
  /** The accounts this instance knows (those it owns at start are served at once). */
  readonly accounts: () => readonly string[];
  readonly logger: Logger;
}

/**
 * The order hand-off of several instances (`docs/scalability.md`, "Order hand-off"): a place or
 * cancel for an account this instance owns runs here; for one another instance owns, it goes
 * over the `CommandStream` to the owner, and its answer comes back. The owner side serves the
 * stream of each account it owns, from when it takes the account to when it loses it
 * (`AccountOwnership.watch`), with the handler a local request runs.
 *
 * An account this instance does not know at all runs here too (it answers 404 as one instance
 * would), so a mistyped account never waits for an owner that does not exist.
 *
 * @example
 * const handOff = new AccountHandOff({ ownership, stream, accounts: () => ids, logger });
 * await buildApp({ ...ports, orderHandOff: handOff });
 */
export class AccountHandOff implements OrderHandOff {
  readonly #serving = new Map<string, () => Promise<void>>();
  #handler: CommandHandler | null = null;
  #unwatch: () => void = () => undefined;

  constructor(private readonly opts: AccountHandOffOptions) {}

  dispatch(cmd: AccountCommand, local: () => Promise<CommandAnswer>): Promise<CommandAnswer> {
    const { ownership, accounts, stream } = this.opts;
    const here = ownership.owns(cmd.accountId) || !accounts().includes(cmd.accountId);
    return here ? local() : stream.send(cmd);
  }

  serve(handler: CommandHandler): void {
    const { ownership, accounts, stream, logger } = this.opts;
    // A command taken just as the account was lost goes on to the new owner, whose answer is
    // the caller's; it is never run where the account's core no longer trades.
    this.#handler = (cmd) => (ownership.owns(cmd.accountId) ? handler(cmd) : stream.send(cmd));
    this.#unwatch = ownership.watch(({ accountId, owned }) => {
      if (owned) this.#start(accountId);
      else void this.#stop(accountId);
    });
    for (const id of accounts()) if (ownership.owns(id)) this.#start(id);
    logger.info('order hand-off serving', {
      accounts: [...this.#serving.keys()].join(','),
    });
  }

  /** Stops serving every account (commands not taken wait for the next owner) and the stream. */
  async close(): Promise<void> {
    this.#unwatch();
    await Promise.all([...this.#serving.keys()].map((id) => this.#stop(id)));
    await this.opts.stream.close();
  }

  #start(accountId: string): void {
    const handler = this.#handler;
    if (!handler || this.#serving.has(accountId)) return;
    this.#serving.set(accountId, this.opts.stream.serve(accountId, handler));
  }

  async #stop(accountId: string): Promise<void> {
    const stop = this.#serving.get(accountId);
    this.#serving.delete(accountId);
    await stop?.();
  }
}

/** The hand-off's settings in `ServerOptions`: its Redis key prefix and how long a caller waits. */
export interface HandOffSettings {
  /** Default `kairos:` (tests give their own). */
  readonly prefix?: string;
  /** Default 5 000 ms. */
  readonly waitMs?: number;
}

/**
 * The order hand-off of a server whose accounts are shared with other instances: none for the
 * sole owner (one instance: every order runs here, no Redis needed); else over Redis Streams,
 * which must be configured (`REDIS_URL`).
 */
export function accountHandOff(o: {
  ownership: AccountOwnership;
  redis: RedisClient | null;
  accounts: () => readonly string[];
  logger: Logger;
  settings?: HandOffSettings;
}): AccountHandOff | null {
  if (o.ownership === SOLE_OWNER) return null;
  if (!o.redis) {
    throw new KairosError(
      'CONFIG_INVALID',
      'REDIS_URL: several instances hand orders to the owner of their account over Redis; set REDIS_URL',
    );
  }
  const logger = o.logger.child({ component: 'hand-off' });
  const stream = new RedisCommandStream(o.redis, {
    ...o.settings,
    onError: (err, cmd) =>
      logger.error('order command not answered', {
        err,
        ...(cmd ? { requestId: cmd.requestId, accountId: cmd.accountId, route: cmd.route } : {}),
      }),
  });
  return new AccountHandOff({ ownership: o.ownership, stream, accounts: o.accounts, logger });
}
