import type { AuditEntry } from '../security/audit/audit-record.js';
import type { OrderRepository } from '../store/order-repository.js';
import type { Cache } from '../scalability/cache/cache.js';
import type { PasswordHasher } from '../security/passwords/password-hasher.js';
import type { Role } from '../security/roles/permissions.js';
import type { TokenService } from '../security/tokens/token-service.js';
import type { MfaVerifier } from '../security/totp/mfa-verifier.js';
import type { TradingCore } from '../trading/live/trading-core.js';
import type { TradingDesk } from '../trading/live/trading-desk.js';

/** A user as the API sees one (the TOTP secret decrypted, only for the second factor). */
export interface ApiUser {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  readonly passwordHash: string;
  readonly totpSecret: string | null;
  readonly disabled: boolean;
}

/** Where the API finds users. */
export interface UserDirectory {
  byUsername(username: string): Promise<ApiUser | null>;
  byId(id: string): Promise<ApiUser | null>;
  /** Marks the TOTP enrolment confirmed (after the first accepted code; idempotent). */
  confirmSecondFactor(id: string): Promise<void>;
}

/** Everything the API is built from (the composition root in `src/system` makes it). */
export interface ApiDeps {
  readonly users: UserDirectory;
  readonly hasher: PasswordHasher;
  readonly mfa: MfaVerifier;
  readonly tokens: TokenService;
  /** Short-lived login challenges (between password and second factor). */
  readonly challenges: Cache;
  readonly core: TradingCore;
  readonly desk: TradingDesk;
  readonly orders: OrderRepository;
  /** The audit log (logins, failures, logouts; order events are audited by the store). */
  readonly audit: { append(entry: AuditEntry): Promise<unknown> };
  /** Wall-clock ms. */
  readonly now: () => number;
  /** Requests per minute per client address and user; counted in Redis when given (several instances). */
  readonly rateLimit?: { readonly perMinute: number; readonly redis?: unknown };
  /** Log lines (already redacted by the caller's logger). */
  readonly log?: (line: string) => void;
}
