import type { FastifyRequest } from 'fastify';
import type { CommandAnswer, CommandHandler } from '../scalability/bus/command-stream.js';
import { ROLES, type Role } from '../security/roles/permissions.js';
import { KairosError } from '../trading/core/errors.js';
import type { Instrument } from '../trading/model/instrument.js';
import { closed, isStoredClosed, type AccountAccess, type Caller } from './account-access.js';
import { accountBalances, accountPositions } from './account-state.js';
import type { AccountDesk, ApiAccount, OrderHandOff } from './deps.js';
import { problemBody } from './problem.js';

/** The route of a positions or balances read handed to an account's owner. */
export const PORTFOLIO = 'accounts.portfolio';

/** What `GET /positions` and `GET /balances` list. */
export type PortfolioKind = 'positions' | 'balances';

export interface PortfolioReadsOptions {
  readonly accounts: Pick<AccountDesk, 'trading' | 'venueLink' | 'instrumentsOf'>;
  readonly access: AccountAccess;
  readonly instruments: readonly Instrument[];
  /** Where an account's core runs: here, or its owner (default: here). */
  readonly handOff?: OrderHandOff;
}

/**
 * An account's positions and balances as its trading core holds them: read here when the core
 * runs here, else asked of the instance that owns the account (as orders are handed to it), so
 * every instance behind a balancer answers the same. No owner within the hand-off's wait: 503
 * `ACCOUNT_OWNER_UNAVAILABLE`.
 */
export class PortfolioReads {
  constructor(private readonly opts: PortfolioReadsOptions) {}

  /**
   * The views of `kind` of `account` for the request's caller. `every` (a read of every account
   * the caller sees): a closed account whose state is not kept (`ACCOUNT_DISABLED`) has no rows,
   * as it trades no more; named alone, it is refused saying so.
   */
  async of(
    req: FastifyRequest,
    account: ApiAccount,
    kind: PortfolioKind,
    every = false,
  ): Promise<unknown[]> {
    try {
      return await this.read({ requestId: req.id, claims: req.claims }, account, kind);
    } catch (e) {
      if (every && e instanceof KairosError && e.code === 'ACCOUNT_DISABLED') return [];
      throw e;
    }
  }

  /**
   * The views of `kind` of `account` for `caller` (a request's, or a WebSocket snapshot's):
   * here, or from the owner; else the refusal (`ACCOUNT_OWNER_UNAVAILABLE`,
   * `ACCOUNT_VENUE_DOWN`…) as a `KairosError`, never an empty list that is not the truth.
   */
  async read(
    caller: { readonly requestId: string; readonly claims: Caller },
    account: ApiAccount,
    kind: PortfolioKind,
  ): Promise<unknown[]> {
    const { handOff } = this.opts;
    if (!handOff || this.#here(account.id)) return this.#local(account, kind);
    const answer = await handOff.dispatch(
      {
        requestId: caller.requestId,
        accountId: account.id,
        user: { id: caller.claims.sub, role: caller.claims.role },
        route: PORTFOLIO,
        body: { kind },
        idempotencyKey: null,
      },
      async () => ({ status: 200, body: { [kind]: this.#local(account, kind) } }),
    );
    const body = answer.body as Record<string, unknown> | null;
    if (answer.status !== 200 || !Array.isArray(body?.[kind])) {
      const code = typeof body?.code === 'string' ? body.code : 'ACCOUNT_OWNER_UNAVAILABLE';
      throw new KairosError(
        code,
        `accountId: ${account.id}: ${String(body?.detail ?? 'no owner answered')}`,
      );
    }
    return body[kind] as unknown[];
  }

  /** The owner's side: a read handed over by another instance (its caller checked there, and here). */
  readonly handle: CommandHandler = async (cmd): Promise<CommandAnswer> => {
    const body = cmd.body as { kind?: unknown } | null;
    const kind = body?.kind;
    const role = cmd.user.role as Role;
    if ((kind !== 'positions' && kind !== 'balances') || !ROLES.includes(role))
      return {
        status: 400,
        body: problemBody('BAD_REQUEST', `${PORTFOLIO}: not a read of this version`),
      };
    try {
      const account = this.opts.access.find({ sub: cmd.user.id, role }, cmd.accountId, 'accountId');
      return { status: 200, body: { [kind]: this.#local(account, kind) } };
    } catch (e) {
      if (!(e instanceof KairosError)) throw e;
      const problem = problemBody(e.code, e.message);
      return { status: problem.status, body: problem };
    }
  };

  #here(accountId: string): boolean {
    return this.opts.accounts.trading(accountId) !== undefined;
  }

  #local(account: ApiAccount, kind: PortfolioKind): unknown[] {
    // A closed account whose core is not kept (a live one: its core and venue connection closed
    // with it): nothing confirms its state any more, so none is shown as current, and no empty
    // list reads as flat. A closed paper account's core stays, frozen: its state is the truth.
    if (isStoredClosed(account) && !this.#here(account.id))
      throw closed(
        account.id,
        `${kind} read`,
        `its venue is no longer watched, so its ${kind} are not known here`,
      );
    // A live account's core not open here (its venue was down when it was to open): its
    // positions are not known here, and are refused saying why (`tradingHere`), never an empty
    // list read as flat. Its balances are its venue's as last confirmed, core or not. (A paper
    // account's core is here whenever a read runs here, but on a server started without its
    // venue, which keeps it unopened and lists nothing for it.)
    if (kind === 'positions' && this.opts.accounts.venueLink(account.id))
      this.opts.access.tradingHere(account.id, 'positions read');
    return kind === 'positions'
      ? accountPositions(this.opts.accounts, account.id)
      : accountBalances(this.opts.accounts, account, this.opts.instruments);
  }
}
