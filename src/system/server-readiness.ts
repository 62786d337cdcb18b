import type { RedisClient } from '../scalability/connections.js';
import {
  databaseCheck,
  HealthChecks,
  memcachedCheck,
  redisCheck,
  unresolvedOrdersCheck,
  venueCheck,
  type HealthCheck,
  type VenueLink,
} from '../monitoring/health-checks.js';
import { UnresolvedOrders } from '../monitoring/unresolved-orders.js';
import type { Store } from '../store/open-store.js';
import { pingStore } from '../store/ping-store.js';
import { Topics } from '../trading/bus/topics.js';
import type { OrderEvent } from '../trading/model/order-events.js';
import type { Order } from '../trading/model/order.js';
import type { TradingCore } from '../trading/live/trading-core.js';
import type { ReadinessSettings } from './config.js';

/** What a server's readiness is checked on. */
export interface ReadinessParts {
  readonly settings: ReadinessSettings;
  readonly store: Store;
  /** Every account's order events and OMS (`TradingAccounts`), or one core. */
  readonly core: {
    readonly bus: Pick<TradingCore['bus'], 'subscribe'>;
    readonly exec: Pick<TradingCore['exec'], 'order' | 'openOrders'>;
  };
  /** The venue's links: market data, private stream or order entry. */
  readonly venue: readonly VenueLink[];
  /** Present when `REDIS_URL` is set. */
  readonly redis?: Pick<RedisClient, 'ping'>;
  /** Present when `MEMCACHED_SERVERS` is set. */
  readonly memcached?: { ping(): Promise<void> };
  /** Wall-clock ms (the age of an unresolved order). */
  readonly now: () => number;
  /** More checks (the server's `draining` and `ownership`). */
  readonly extra?: readonly HealthCheck[];
  /** A report younger than this is answered again (default 250 ms; `HealthChecks`). */
  readonly reuseMs?: number;
}

const isUnresolved = (o: Order | undefined) =>
  o !== undefined && (o.status === 'SUBMITTED' || o.status === 'UNKNOWN');

/**
 * The readiness checks of `kairos serve` (`GET /health/ready`, `docs/operations.md`): the
 * database (`select 1`), Redis and Memcached when configured, the venue links, and no order
 * unresolved longer than `KAIROS_READY_UNRESOLVED_MAX_MS` (wall-clock age, from the order event
 * that left it unresolved). `stop` unsubscribes from the bus.
 *
 * @example
 * const { checks, stop } = serverReadiness({ settings: config.readiness, store, core, venue, now: Date.now });
 */
export function serverReadiness(parts: ReadinessParts): {
  checks: HealthChecks;
  stop: () => void;
} {
  const watch = new UnresolvedOrders(parts.now);
  const { exec } = parts.core;
  const stop = parts.core.bus.subscribe<OrderEvent>(Topics.allOrderEvents, (e) =>
    watch.mark(e.clientOrderId, isUnresolved(exec.order(e.clientOrderId))),
  );
  const list: HealthCheck[] = [databaseCheck(() => pingStore(parts.store.db))];
  const { redis, memcached } = parts;
  if (redis) list.push(redisCheck(() => redis.ping()));
  if (memcached) list.push(memcachedCheck(() => memcached.ping()));
  list.push(
    venueCheck(parts.venue),
    unresolvedOrdersCheck(() => {
      // The OMS's own list wins over what the events said (nothing missed, nothing stale).
      watch.sync(
        exec
          .openOrders()
          .filter(isUnresolved)
          .map((o) => o.clientOrderId),
      );
      return watch.oldest();
    }, parts.settings.unresolvedMaxMs),
  );
  list.push(...(parts.extra ?? []));
  return {
    checks: new HealthChecks(list, {
      timeoutMs: parts.settings.timeoutMs,
      reuseMs: parts.reuseMs ?? 250,
    }),
    stop,
  };
}
