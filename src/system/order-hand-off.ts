import { randomUUID } from 'node:crypto';
import type { Actor, OrderHandOff, RiskDesk } from '../api/deps.js';
import {
  OwnerUnavailableError,
  type AccountCommand,
  type CommandAnswer,
  type CommandHandler,
  type CommandStream,
} from '../scalability/bus/command-stream.js';
import { RedisCommandStream } from '../scalability/bus/redis-command-stream.js';
import type { RedisClient } from '../scalability/connections.js';
import { InvariantError, KairosError } from '../trading/core/errors.js';
import type { Logger } from '../trading/core/logger.js';
import { SOLE_OWNER, type AccountOwnership } from './account-ownership.js';

/** What the hand-off works with. */
export interface AccountHandOffOptions {
  readonly ownership: AccountOwnership;
  readonly stream: CommandStream;
  /** The accounts this instance knows (those it owns at start are served at once). */
  readonly accounts: () => readonly string[];
  /** Whether the database holds the account (made on another instance since this one started). */
  readonly stored?: (accountId: string) => Promise<boolean>;
  readonly logger: Logger;
  /** The accounts a user's kill switch covers (theirs and the shared one); default none. */
  readonly accountsOf?: (userId: string) => readonly string[];
  /** Applies the stored risk settings to this instance's cores (`RiskControl.sync`). */
  readonly applyRisk?: (actor: string) => Promise<void>;
}

/** The command an account's owner applies its stored risk settings on (a halt made elsewhere). */
export const RISK_APPLY = 'risk.apply';

/**
 * The order hand-off of several instances (`docs/scalability.md`, "Order hand-off"): a place or
 * cancel for an account this instance owns runs here; for one another instance owns, it goes
 * over the `CommandStream` to the owner, and its answer comes back. The owner side serves the
 * stream of each account it owns, from when it takes the account to when it loses it
 * (`AccountOwnership.watch`), with the handler a local request runs.
 *
 * An account that does not exist (neither known here nor stored) runs here too (it answers 404
 * as one instance would), so a mistyped account never waits for an owner that does not exist.
 *
 * @example
 * const handOff = new AccountHandOff({ ownership, stream, accounts: () => ids, logger });
 * await buildApp({ ...ports, orderHandOff: handOff });
 */
export class AccountHandOff implements OrderHandOff {
  readonly #serving = new Map<string, () => Promise<void>>();
  #handler: CommandHandler | null = null;
  #unwatch: () => void = () => undefined;
  #risk: Promise<void> | null = null;

  constructor(private readonly opts: AccountHandOffOptions) {}

  async dispatch(cmd: AccountCommand, local: () => Promise<CommandAnswer>): Promise<CommandAnswer> {
    const { ownership, accounts, stored, stream } = this.opts;
    const id = cmd.accountId;
    if (ownership.owns(id)) return local();
    const exists = accounts().includes(id) || ((await stored?.(id)) ?? false);
    return exists ? stream.send(cmd) : local();
  }

  serve(handler: CommandHandler): void {
    const { ownership, accounts, stream, logger } = this.opts;
    // A command taken just as the account was lost goes on to the new owner, whose answer is
    // the caller's; it is never run where the account's core no longer trades.
    const run = (cmd: AccountCommand) =>
      !ownership.owns(cmd.accountId)
        ? stream.send(cmd)
        : cmd.route === RISK_APPLY
          ? this.#applyRisk(cmd.user.id)
          : handler(cmd);
    // One line per command run for another instance (its request line is on the sender's log).
    this.#handler = async (cmd) => {
      const started = performance.now();
      const answer = await run(cmd);
      logger.info('command', {
        requestId: cmd.requestId,
        accountId: cmd.accountId,
        route: cmd.route,
        status: answer.status,
        userId: cmd.user.id,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
      });
      return answer;
    };
    this.#unwatch = ownership.watch(({ accountId, owned }) => {
      if (owned) this.#start(accountId);
      else void this.#stop(accountId);
    });
    for (const id of accounts()) if (ownership.owns(id)) this.#start(id);
    logger.info('order hand-off serving', {
      accounts: [...this.#serving.keys()].join(','),
    });
  }

  /**
   * The risk desk of several instances: a change stored and applied here is applied by the owner
   * of each account it covers too before the answer, so a kill switch stops (and cancels) at once
   * wherever the request came in. One account or one user's switch: no owner answering is
   * `ACCOUNT_OWNER_UNAVAILABLE` (the change is stored; the owner applies it at its next refresh,
   * a new owner before it trades; the client may retry). The whole desk (global, a strategy, a
   * limit for every account): every account's owner, and one that does not answer is logged and
   * passed over, so one dead instance cannot keep a global halt from the others (the command
   * waits on its stream for that owner, and a new owner applies the stored settings before it
   * trades).
   */
  riskDesk(risk: RiskDesk): RiskDesk {
    return {
      view: () => risk.view(),
      setLimit: async (scope, name, value, by) => {
        await risk.setLimit(scope, name, value, by);
        if (scope.accountId !== undefined) await this.#onOwner(scope.accountId, by);
        else await this.#onEveryOwner(by);
      },
      setState: async (scope, state, reason, by) => {
        await risk.setState(scope, state, reason, by);
        const { accountId, userId } = scope;
        if (accountId === undefined && userId === undefined) return this.#onEveryOwner(by);
        const covered =
          accountId !== undefined ? [accountId] : (this.opts.accountsOf?.(userId!) ?? []);
        await Promise.all(covered.map((id) => this.#onOwner(id, by)));
      },
    };
  }

  async #onEveryOwner(by: Actor): Promise<void> {
    const others = this.opts.accounts().filter((id) => !this.opts.ownership.owns(id));
    const settled = await Promise.allSettled(others.map((id) => this.#onOwner(id, by)));
    settled.forEach((r, i) => {
      if (r.status === 'fulfilled') return;
      if (!(r.reason instanceof OwnerUnavailableError)) throw r.reason;
      this.opts.logger.warn('risk change not applied by the account owner yet', {
        accountId: others[i],
        code: r.reason.code,
      });
    });
  }

  async #onOwner(accountId: string, by: Actor): Promise<void> {
    const cmd = {
      requestId: randomUUID(),
      accountId,
      user: { id: by.actor, role: by.role },
      route: RISK_APPLY,
      body: null,
      idempotencyKey: null,
    };
    // Here: already applied by `setState`.
    const answer = await this.dispatch(cmd, async () => ({ status: 200, body: null }));
    if (answer.status !== 200) {
      throw new InvariantError(
        'HAND_OFF_ANSWER',
        `${RISK_APPLY} on account ${accountId}: the owner answered ${answer.status}`,
      );
    }
  }

  /**
   * A change of the whole desk sends one command per account: those that arrive together share
   * one read-and-apply, started after they arrived (so it reads what each was sent for).
   */
  #applyRisk(actor: string): Promise<CommandAnswer> {
    this.#risk ??= Promise.resolve().then(() => {
      this.#risk = null;
      return this.opts.applyRisk?.(actor);
    });
    return this.#risk.then(() => ({ status: 200, body: null }));
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
  /** Default `kairos:` (the server: `KAIROS_REDIS_PREFIX`; tests give their own). */
  readonly prefix?: string;
  /** Default 5 000 ms. */
  readonly waitMs?: number;
}

/**
 * The order hand-off of a server whose accounts are shared with other instances: none for the
 * sole owner (one instance: every order runs here, no Redis needed); else over Redis Streams,
 * which must be configured (`REDIS_URL`), one per account of `install` (the instances of one
 * database: another install's `desk` is another account, whatever the key prefix).
 */
export function accountHandOff(o: {
  ownership: AccountOwnership;
  redis: RedisClient | null;
  /** The install (`installGroup`): its accounts' streams are its own. */
  install: string;
  accounts: () => readonly string[];
  stored?: (accountId: string) => Promise<boolean>;
  accountsOf?: (userId: string) => readonly string[];
  logger: Logger;
  applyRisk: (actor: string) => Promise<void>;
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
    install: o.install,
    onError: (err, cmd) =>
      logger.error('order command not answered', {
        err,
        ...(cmd ? { requestId: cmd.requestId, accountId: cmd.accountId, route: cmd.route } : {}),
      }),
  });
  const { ownership, accounts, applyRisk } = o;
  return new AccountHandOff({
    ownership,
    stream,
    accounts,
    logger,
    applyRisk,
    ...(o.stored ? { stored: o.stored } : {}),
    ...(o.accountsOf ? { accountsOf: o.accountsOf } : {}),
  });
}
