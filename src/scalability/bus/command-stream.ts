import { KairosError } from '../../trading/core/errors.js';

/**
 * A request one instance hands to the instance that owns its account
 * (`docs/decisions/instances.md`, "An order sent to any instance reaches the owner").
 */
export interface AccountCommand {
  /** Names the reply; unique per request (the API's request id, or a UUID). */
  readonly requestId: string;
  readonly accountId: string;
  /** The caller as the sending instance verified it (its token checked there). */
  readonly user: { readonly id: string; readonly role: string };
  /** Which handler of the owner runs it (e.g. `orders.place`). */
  readonly route: string;
  /** The request's validated input (plain JSON). */
  readonly body: unknown;
  /** The client's `Idempotency-Key`, when the route takes one. */
  readonly idempotencyKey: string | null;
}

/** What the owner answered: the HTTP status, headers and body the client gets. */
export interface CommandAnswer {
  readonly status: number;
  readonly body: unknown;
  /** Headers of the answer that matter to the client (`retry-after` of a 429 or 503), lower case. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Runs a command on the owner; never throws for an expected outcome (a refusal is an answer
 * with its status). A throw is a bug: the command is acknowledged, unanswered, and reported.
 */
export type CommandHandler = (cmd: AccountCommand) => Promise<CommandAnswer>;

/** Commands per account, from any instance to the one that owns it, and their answers. */
export interface CommandStream {
  /**
   * Sends `cmd` to its account's owner and waits for the answer; no answer within the wait:
   * `ACCOUNT_OWNER_UNAVAILABLE` (`OwnerUnavailableError`, with the seconds to wait before a
   * retry). The owner may still run it later: the client retries with the same idempotency key.
   */
  send(cmd: AccountCommand): Promise<CommandAnswer>;
  /**
   * Takes the account's commands (those left unanswered by a previous owner first) and answers
   * each with `handle`; answers the stop, which resolves once the command in hand is answered.
   */
  serve(accountId: string, handle: CommandHandler): () => Promise<void>;
  /** Stops every consumer and closes the stream's own connections. */
  close(): Promise<void>;
}

/** No owner answered in time (a failover in progress, or no instance owns the account). */
export class OwnerUnavailableError extends KairosError {
  constructor(
    readonly accountId: string,
    /** Seconds a client should wait before retrying (the `Retry-After` header). */
    readonly retryAfterS: number,
    waitedMs: number,
  ) {
    super(
      'ACCOUNT_OWNER_UNAVAILABLE',
      `accountId: no instance owning account ${accountId} answered within ${waitedMs} ms; retry with the same Idempotency-Key`,
    );
  }
}
