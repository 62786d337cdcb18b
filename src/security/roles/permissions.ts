/**
 * The role × permission matrix: the one place that says who may do what (function level).
 * `docs/security.md` renders the same matrix; a unit test keeps the two equal.
 *
 * Data-level rules (a trader sees only their own orders, tenants are isolated) are enforced by
 * the API and the repositories on top of this; see `docs/security.md`, "Roles and permissions".
 */

/** Every role, in the order the docs table lists them. */
export const ROLES = ['admin', 'risk', 'trader', 'quant', 'auditor'] as const;

/** A user's role. A user has exactly one. */
export type Role = (typeof ROLES)[number];

/** Every permission, with what it allows, in the order the docs table lists them. */
export const PERMISSIONS = {
  'market-data:read': 'read market data, instruments and bars',
  'orders:read': 'read orders and fills (a trader: their own)',
  'orders:write': 'place, amend and cancel orders',
  'positions:read': 'read positions, balances and PnL',
  'accounts:read': 'list trading accounts (a trader or quant: their own)',
  'accounts:write': 'open and close your own trading accounts, set your default',
  'risk:read': 'read risk limits and trading states',
  'risk:write': 'change risk limits',
  'risk:halt': 'hit the kill switch (halt or reduce-only)',
  'risk:resume': 'release the kill switch (back to active)',
  'strategies:read': 'read strategies, versions and deployments',
  'strategies:deploy': 'deploy a strategy to paper',
  'strategies:promote': 'promote a deployed strategy to live',
  'backtests:run': 'run backtests and optimisations',
  'audit:read': 'read the audit log and verify it',
  'audit:export': 'export an audit range to the object store',
  'credentials:read': 'list your own venue credentials (names and metadata, never the secret)',
  'credentials:write': 'add, rotate and delete your own venue credentials',
  'users:admin': 'create users, set roles, reset MFA, revoke sessions',
} as const;

/** A permission name, `<resource>:<action>`. */
export type Permission = keyof typeof PERMISSIONS;

/**
 * Who holds which permission. Separation of duties: `admin` manages users and cannot trade;
 * venue credentials are each owner's own (`admin`, and a `trader` or `quant` for their live
 * accounts; another's is not found); `auditor` only reads; only `risk` changes limits, resumes trading and promotes
 * a strategy to live; anyone on the trading floor (`trader`, `risk`) may halt, and so may an
 * `admin` (any account: a safety action in an incident, not trading; resuming is `risk`'s).
 */
export const ROLE_PERMISSIONS: { readonly [R in Role]: readonly Permission[] } = {
  admin: ['accounts:read', 'credentials:read', 'credentials:write', 'risk:halt', 'users:admin'],
  risk: [
    'market-data:read',
    'orders:read',
    'positions:read',
    'accounts:read',
    'risk:read',
    'risk:write',
    'risk:halt',
    'risk:resume',
    'strategies:read',
    'strategies:promote',
    'audit:read',
  ],
  trader: [
    'market-data:read',
    'orders:read',
    'orders:write',
    'positions:read',
    'accounts:read',
    'accounts:write',
    'credentials:read',
    'credentials:write',
    'risk:read',
    'risk:halt',
    'strategies:read',
  ],
  quant: [
    'market-data:read',
    'orders:read',
    'positions:read',
    'accounts:read',
    'accounts:write',
    'credentials:read',
    'credentials:write',
    'risk:read',
    'strategies:read',
    'strategies:deploy',
    'backtests:run',
  ],
  auditor: [
    'orders:read',
    'positions:read',
    'accounts:read',
    'risk:read',
    'strategies:read',
    'audit:read',
    'audit:export',
  ],
};

/**
 * The roles that oversee every trading account (`docs/decisions/accounts.md`): they read every
 * account their permissions reach (an admin: the accounts' metadata only), and those that may
 * halt (`risk`, `admin`) halt any account. Every other role sees its own accounts and its own orders on
 * the shared one.
 */
export const ACCOUNT_OVERSIGHT: readonly Role[] = ['admin', 'risk', 'auditor'];

/**
 * Whether `role` oversees every trading account.
 *
 * @example
 * seesEveryAccount('risk'); // true
 * seesEveryAccount('trader'); // false
 */
export function seesEveryAccount(role: string): boolean {
  return (ACCOUNT_OVERSIGHT as readonly string[]).includes(role);
}

const GRANTS = new Map<string, ReadonlySet<string>>(
  ROLES.map((r) => [r, new Set<string>(ROLE_PERMISSIONS[r])]),
);

/**
 * Whether `role` holds `permission`. Unknown roles or permissions (e.g. from a forged or stale
 * token) hold nothing: deny by default.
 *
 * @example
 * can('trader', 'orders:write'); // true
 * can('auditor', 'orders:write'); // false
 */
export function can(role: string, permission: string): boolean {
  return GRANTS.get(role)?.has(permission) ?? false;
}

/**
 * Narrows a string (a token claim, a CLI flag) to a `Role`.
 *
 * @example
 * if (!isRole(claims.role)) throw new KairosError('AUTH_INVALID_TOKEN', 'role: unknown');
 */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
