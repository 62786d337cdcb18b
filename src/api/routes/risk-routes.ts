import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { seesEveryAccount, type Permission } from '../../security/roles/permissions.js';
import type { AccessClaims } from '../../security/tokens/access-tokens.js';
import type { TradingState } from '../../trading/risk/trading-state.js';
import type { AccountAccess } from '../account-access.js';
import { actorOf } from '../authenticated-context.js';
import type { RiskDesk, UserDirectory } from '../deps.js';
import { AccountIdString, decimalString } from '../order-schemas.js';
import { OPTIONAL_BODY } from '../openapi-truth.js';
import { ProblemSchema, apiError } from '../problem.js';
import { limitStrings } from '../risk-frames.js';

const ScopeId = Type.String({ pattern: '^[A-Za-z0-9:_./-]{1,64}$' });
const Limits = Type.Record(Type.String(), Type.String());
const States = Type.Object({
  global: Type.String(),
  strategies: Type.Record(Type.String(), Type.String()),
  accounts: Type.Record(Type.String(), Type.String(), {
    description: 'the kill switch of each account you see that is not ACTIVE',
  }),
  users: Type.Record(Type.String(), Type.String(), {
    description:
      'the kill switch of each user that is not ACTIVE (every account they own): yours, or every user for the risk, admin and auditor roles',
  }),
});
const RiskView = Type.Object({
  limits: Type.Object({
    global: Limits,
    strategies: Type.Record(Type.String(), Limits),
    instruments: Type.Record(Type.String(), Limits),
    accounts: Type.Record(Type.String(), Limits, {
      description:
        "each account's own limits (checked beside `global`, which every account has), for the accounts you see",
    }),
  }),
  states: States,
});
const Problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema };

const mapValues = <T>(o: Readonly<Record<string, T>>, f: (v: T) => Record<string, string>) =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));

/** What the risk routes use. */
export interface RiskRoutesOptions {
  readonly risk: RiskDesk;
  readonly access: AccountAccess;
  /** Whether a user named by a kill switch exists. */
  readonly users: Pick<UserDirectory, 'byId'>;
}

const notActive = (o: Readonly<Record<string, string>>, keep: (id: string) => boolean) =>
  Object.fromEntries(Object.entries(o).filter(([id, state]) => keep(id) && state !== 'ACTIVE'));

/**
 * Risk: read limits and trading states; set a limit; the kill switch (halt: block new orders
 * and cancel open ones), reduce-only, resume. Each change is stored and audited, then applied
 * to the running core before the answer.
 */
export const riskRoutes: FastifyPluginAsync<RiskRoutesOptions> = async (app, opts) => {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const view = async (claims: AccessClaims) => {
    const { limits, states } = await opts.risk.view();
    const seen = new Set(opts.access.visible(claims).map((a) => a.id));
    return {
      limits: {
        global: limitStrings(limits.global),
        strategies: mapValues(limits.strategies, limitStrings),
        instruments: mapValues(limits.instruments ?? {}, limitStrings),
        accounts: mapValues(
          Object.fromEntries(Object.entries(limits.accounts).filter(([id]) => seen.has(id))),
          limitStrings,
        ),
      },
      states: {
        global: states.global,
        strategies: { ...states.strategies },
        accounts: notActive(states.accounts ?? {}, (id) => seen.has(id)),
        users: notActive(
          states.users ?? {},
          (id) => seesEveryAccount(claims.role) || id === claims.sub,
        ),
      },
    };
  };

  r.get(
    '/risk',
    {
      onRequest: app.requires('risk:read'),
      schema: { tags: ['risk'], response: { 200: RiskView, ...Problems } },
    },
    async (req) => view(req.claims),
  );

  r.put(
    '/risk/limits/:name',
    {
      onRequest: app.requires('risk:write', { live: true }),
      schema: {
        tags: ['risk'],
        params: Type.Object({ name: Type.String({ pattern: '^[A-Za-z]{1,40}$' }) }),
        body: Type.Object(
          {
            value: decimalString(
              'the limit, a non-negative decimal (an integer for counts and ms)',
            ),
            strategyId: Type.Optional(ScopeId),
            instrumentId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            accountId: Type.Optional(
              AccountIdString('only this account (beside the limits every account has)'),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: RiskView, ...Problems },
      },
    },
    async (req) => {
      const { value, ...scope } = req.body;
      if (scope.accountId !== undefined)
        opts.access.find(req.claims, scope.accountId, 'body.accountId');
      await opts.risk.setLimit(scope, req.params.name, value, actorOf(req.claims));
      return view(req.claims);
    },
  );

  const stateRoute = (
    url: string,
    state: TradingState,
    permission: Permission,
    reasonRequired: boolean,
  ) => {
    const reason = Type.String({ minLength: 1, maxLength: 500 });
    r.post(
      url,
      {
        onRequest: app.requires(permission, { live: true }),
        // Every field may be optional: no body at all is an empty one (a JSON `null` is a
        // body, and not an object: refused by the schema, as before it was taken as `{}`).
        preValidation: async (req) => {
          if (req.body === undefined) req.body = {} as typeof req.body;
        },
        schema: {
          tags: ['risk'],
          // The document says so (`openapi-truth.ts`, `optionalBodies`).
          ...(reasonRequired ? {} : { [OPTIONAL_BODY]: true }),
          body: Type.Object(
            {
              reason: reasonRequired ? reason : Type.Optional(reason),
              strategyId: Type.Optional(ScopeId),
              accountId: Type.Optional(
                AccountIdString(
                  'only this account (a trader: one of their own; the risk role: any account)',
                ),
              ),
              userId: Type.Optional(
                Type.String({
                  minLength: 1,
                  maxLength: 64,
                  description:
                    'every account of this user (a trader: themselves; the risk role and an admin: anyone)',
                }),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 200: RiskView, 404: ProblemSchema, 503: ProblemSchema, ...Problems },
        },
      },
      async (req) => {
        const claims = req.claims;
        const {
          strategyId,
          accountId,
          userId,
          reason: why,
        } = req.body as {
          strategyId?: string;
          accountId?: string;
          userId?: string;
          reason?: string;
        };
        if ([strategyId, accountId, userId].filter((id) => id !== undefined).length > 1)
          throw apiError('VALIDATION', 'body: give one of strategyId, accountId or userId');
        if (userId !== undefined) {
          if (userId !== claims.sub && !seesEveryAccount(claims.role))
            throw apiError(
              'FORBIDDEN',
              `body.userId: only the risk role or an admin sets the state of another user`,
            );
          if (!(await opts.users.byId(userId)))
            throw apiError('NOT_FOUND', `body.userId: no user ${userId}`);
        }
        if (accountId !== undefined) {
          const account = opts.access.find(claims, accountId, 'body.accountId');
          // The shared account is everyone's: only an oversight role halts it alone.
          if (!opts.access.mayHalt(claims, account))
            throw apiError(
              'FORBIDDEN',
              `body.accountId: only the risk role sets the state of account ${accountId}`,
            );
        }
        await opts.risk.setState(
          strategyId !== undefined
            ? { strategyId }
            : accountId !== undefined
              ? { accountId }
              : userId !== undefined
                ? { userId }
                : {},
          state,
          why ?? null,
          actorOf(claims),
        );
        return view(claims);
      },
    );
  };
  stateRoute('/risk/halt', 'HALTED', 'risk:halt', true);
  stateRoute('/risk/reduce', 'REDUCING', 'risk:halt', true);
  stateRoute('/risk/resume', 'ACTIVE', 'risk:resume', false);
};
