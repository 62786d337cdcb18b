import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { seesEveryAccount } from '../../security/roles/permissions.js';
import type { AccountAccess } from '../account-access.js';
import { actorOf } from '../authenticated-context.js';
import type { AccountDesk, AccountVenueStatus, ApiAccount } from '../deps.js';
import { AccountIdString, DecimalString } from '../order-schemas.js';
import { ProblemSchema } from '../problem.js';
import type { AccountVenueLink } from '../deps.js';

function statusOf(link: AccountVenueLink | null): AccountVenueStatus | null {
  return (
    link && {
      venue: link.state,
      reason: link.reason,
      since: link.since,
      confirmedAt: link.confirmedAt,
      retryAt: link.retryAt ?? null,
    }
  );
}

const NO_STATUSES: ReadonlyMap<string, AccountVenueStatus> = new Map();

const NullableString = Type.Union([Type.String(), Type.Null()]);

/** An account as the API shows it. */
export const AccountView = Type.Object({
  id: Type.String(),
  ownerUserId: Type.Union([Type.String(), Type.Null()], {
    description: 'null for the shared account (`desk`)',
  }),
  name: Type.String(),
  mode: Type.Union([Type.Literal('paper'), Type.Literal('live')]),
  venue: Type.String(),
  credentialId: NullableString,
  startingCash: Type.Union([Type.String(), Type.Null()], {
    description: "a paper account's starting cash, decimal, in `currency`",
  }),
  currency: NullableString,
  status: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
  default: Type.Boolean({
    description: "the owner's default account (orders naming none go to it)",
  }),
  shared: Type.Boolean({ description: "the server's shared account: your orders on it are yours" }),
  createdAt: Type.Integer(),
  disabledAt: Type.Union([Type.Integer(), Type.Null()]),
  venueStatus: Type.Union(
    [
      Type.Object({
        venue: Type.Union(
          [
            Type.Literal('UP'),
            Type.Literal('DOWN'),
            Type.Literal('DISABLED'),
            Type.Literal('UNKNOWN'),
          ],
          {
            description:
              'DOWN: the venue does not answer, bans or throttles (no new order until it recovers); DISABLED: it refused the key; UNKNOWN: no instance holds the account now (its owner stopped: another takes it within the lease TTL; orders meanwhile 503 ACCOUNT_OWNER_UNAVAILABLE) or the owner\'s word could not be read (`reason` says which). Every instance answers the owner\'s view, at most a moment old (docs/scalability.md, "Venue status on every instance")',
          },
        ),
        reason: NullableString,
        since: Type.Integer(),
        confirmedAt: Type.Union([Type.Integer(), Type.Null()], {
          description: "when the venue last confirmed the account's orders and balances (ms)",
        }),
        retryAt: Type.Union([Type.Integer(), Type.Null()], {
          description:
            "DOWN under the venue's ban (its 429/418, or one another process recorded on the venue's shared budget): when it ends (ms), as an order's 503 ACCOUNT_VENUE_DOWN names it in Retry-After; null otherwise, or when the venue did not say",
        }),
      }),
      Type.Null(),
    ],
    {
      description:
        "a live account's link to its venue, as its owner sees it on whichever instance answers; null for a paper account and a closed live account",
    },
  ),
});

const AccountId = AccountIdString();
const IdParams = Type.Object({ id: AccountId });
const Problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema };
/** A change of one account: 503 when another instance trades it (`ACCOUNT_OWNER_UNAVAILABLE`). */
const ChangeAnswers = {
  200: AccountView,
  404: ProblemSchema,
  409: ProblemSchema,
  503: ProblemSchema,
  ...Problems,
};

/** What the account routes use. */
export interface AccountRoutesOptions {
  readonly accounts: AccountDesk;
  readonly access: AccountAccess;
}

/**
 * Trading accounts (`docs/api.md`, "Accounts"): open a paper account with its own cash, list
 * yours (an oversight role: every account), read one, close one (only flat and with no open
 * order) and open it again, and set your default account. Another user's account is not found.
 */
export const accountRoutes: FastifyPluginAsync<AccountRoutesOptions> = async (app, opts) => {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  /** The owner's `venueStatus` of the live accounts whose link is not here (several instances). */
  const statuses = async (list: readonly ApiAccount[]) =>
    (await opts.accounts.venueStatuses?.(list)) ?? NO_STATUSES;
  const view = (a: ApiAccount, shared: ReadonlyMap<string, AccountVenueStatus>) => ({
    id: a.id,
    ownerUserId: a.ownerUserId,
    name: a.name,
    mode: a.mode,
    venue: a.venue,
    credentialId: a.credentialId,
    startingCash: a.startingCash,
    currency: a.currency,
    status: a.disabledAt === null ? ('open' as const) : ('closed' as const),
    default: a.ownerUserId !== null && opts.accounts.defaultOf(a.ownerUserId) === a.id,
    shared: a.shared,
    createdAt: a.createdAt,
    disabledAt: a.disabledAt,
    venueStatus: statusOf(opts.accounts.venueLink(a.id)) ?? shared.get(a.id) ?? null,
  });
  const viewOne = async (a: ApiAccount) => view(a, await statuses([a]));

  r.post(
    '/accounts',
    {
      onRequest: app.requires('accounts:write', { live: true }),
      schema: {
        tags: ['accounts'],
        body: Type.Object(
          {
            name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$' }),
            mode: Type.Optional(Type.Union([Type.Literal('paper'), Type.Literal('live')])),
            venue: Type.Optional(
              Type.String({
                pattern: '^[a-z0-9][a-z0-9_-]{0,31}$',
                description: "a live account's venue: one the server has (`--venue`)",
              }),
            ),
            startingCash: Type.Optional(DecimalString),
            credentialId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            default: Type.Optional(
              Type.Boolean({ description: 'make it your default (your first account always is)' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          201: AccountView,
          404: ProblemSchema,
          409: ProblemSchema,
          422: ProblemSchema,
          503: ProblemSchema,
          ...Problems,
        },
      },
    },
    async (req, reply) => {
      const claims = req.claims;
      const { mode, ...rest } = req.body;
      const a = await opts.accounts.create(
        claims.sub,
        { ...rest, mode: mode ?? 'paper' },
        actorOf(claims),
      );
      return reply
        .code(201)
        .header('location', `/accounts/${a.id}`)
        .send(await viewOne(a));
    },
  );

  r.get(
    '/accounts',
    {
      onRequest: app.requires('accounts:read'),
      schema: {
        tags: ['accounts'],
        // 503: the store did not answer (several instances read it before answering).
        response: {
          200: Type.Object({ accounts: Type.Array(AccountView) }),
          503: ProblemSchema,
          ...Problems,
        },
      },
    },
    async (req) => {
      // As the store has them now (a change made on another instance included).
      const every = seesEveryAccount(req.claims.role);
      await opts.accounts.reread?.({ ownerUserId: every ? null : req.claims.sub });
      const list = opts.access.visible(req.claims);
      const shared = await statuses(list);
      return { accounts: list.map((a) => view(a, shared)) };
    },
  );

  r.get(
    '/accounts/:id',
    {
      onRequest: app.requires('accounts:read'),
      schema: {
        tags: ['accounts'],
        params: IdParams,
        response: { 200: AccountView, 404: ProblemSchema, 503: ProblemSchema, ...Problems },
      },
    },
    async (req) => {
      // As the store has it now: closed or reopened on another instance, it shows at once.
      await opts.accounts.reread?.({ accountId: req.params.id });
      return viewOne(opts.access.find(req.claims, req.params.id));
    },
  );

  r.delete(
    '/accounts/:id',
    {
      onRequest: app.requires('accounts:write', { live: true }),
      schema: {
        tags: ['accounts'],
        params: IdParams,
        response: ChangeAnswers,
      },
    },
    async (req) => {
      const claims = req.claims;
      const a = opts.access.own(claims, req.params.id);
      return viewOne(await opts.accounts.close(a.id, actorOf(claims)));
    },
  );

  r.post(
    '/accounts/:id/reopen',
    {
      onRequest: app.requires('accounts:write', { live: true }),
      schema: {
        tags: ['accounts'],
        params: IdParams,
        response: { ...ChangeAnswers, 422: ProblemSchema },
      },
    },
    async (req) => {
      const claims = req.claims;
      const a = opts.access.own(claims, req.params.id);
      return viewOne(await opts.accounts.reopen(a.id, actorOf(claims)));
    },
  );

  r.put(
    '/users/me/default-account',
    {
      onRequest: app.requires('accounts:write', { live: true }),
      schema: {
        tags: ['accounts'],
        body: Type.Object({ accountId: AccountId }, { additionalProperties: false }),
        response: ChangeAnswers,
      },
    },
    async (req) => {
      const claims = req.claims;
      const a = opts.access.own(claims, req.body.accountId, 'body.accountId');
      return viewOne(await opts.accounts.setDefault(claims.sub, a.id, actorOf(claims)));
    },
  );
};
