import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Permission } from '../../security/roles/permissions.js';
import type { AccessClaims } from '../../security/tokens/access-tokens.js';
import type { RiskLimits } from '../../trading/risk/risk-limits.js';
import type { TradingState } from '../../trading/risk/trading-state.js';
import type { AccountAccess } from '../account-access.js';
import { actorOf } from '../authenticated-context.js';
import type { RiskDesk } from '../deps.js';
import { AccountIdString } from '../order-schemas.js';
import { ProblemSchema, apiError } from '../problem.js';

const ScopeId = Type.String({ pattern: '^[A-Za-z0-9:_./-]{1,64}$' });
const Limits = Type.Record(Type.String(), Type.String());
const States = Type.Object({
  global: Type.String(),
  strategies: Type.Record(Type.String(), Type.String()),
  accounts: Type.Record(Type.String(), Type.String(), {
    description: 'the kill switch of each account you see that is not ACTIVE',
  }),
});
const RiskView = Type.Object({
  limits: Type.Object({
    global: Limits,
    strategies: Type.Record(Type.String(), Limits),
    instruments: Type.Record(Type.String(), Limits),
  }),
  states: States,
});
const Problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema };

/** Limits as decimal strings. */
function limitStrings(l: RiskLimits): Record<string, string> {
  return Object.fromEntries(Object.entries(l).map(([k, v]) => [k, String(v)]));
}

const mapValues = <T>(o: Readonly<Record<string, T>>, f: (v: T) => Record<string, string>) =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));

/** What the risk routes use. */
export interface RiskRoutesOptions {
  readonly risk: RiskDesk;
  readonly access: AccountAccess;
}

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
      },
      states: {
        global: states.global,
        strategies: { ...states.strategies },
        accounts: Object.fromEntries(
          Object.entries(states.accounts ?? {}).filter(
            ([id, state]) => seen.has(id) && state !== 'ACTIVE',
          ),
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
            value: Type.String({
              pattern: '^[0-9]{1,20}(\\.[0-9]{1,18})?$',
              description: 'a non-negative decimal as a string (an integer for counts and ms)',
            }),
            strategyId: Type.Optional(ScopeId),
            instrumentId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: RiskView, ...Problems },
      },
    },
    async (req) => {
      const { value, ...scope } = req.body;
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
        // Every field may be optional: no body at all is an empty one.
        preValidation: async (req) => void (req.body ??= {} as typeof req.body),
        schema: {
          tags: ['risk'],
          body: Type.Object(
            {
              reason: reasonRequired ? reason : Type.Optional(reason),
              strategyId: Type.Optional(ScopeId),
              accountId: Type.Optional(
                AccountIdString(
                  'only this account (a trader: one of their own; the risk role: any account)',
                ),
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
          reason: why,
        } = req.body as { strategyId?: string; accountId?: string; reason?: string };
        if (strategyId !== undefined && accountId !== undefined)
          throw apiError('VALIDATION', 'body: give a strategyId or an accountId, not both');
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
          strategyId !== undefined ? { strategyId } : accountId !== undefined ? { accountId } : {},
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
