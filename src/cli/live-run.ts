import path from 'node:path';
import { OrderRepository } from '../store/order-repository.js';
import { RiskRepository } from '../store/risk-repository.js';
import { StrategySnapshotRepository } from '../store/strategy-snapshot-repository.js';
import { replayedTradesSince } from '../trading/live/latest-closed-bar.js';
import { exchangeKeys, type Config } from '../system/config.js';
import { openFieldCipher } from '../system/field-cipher.js';
import { openConfiguredStore } from '../system/open-configured-store.js';
import { openVenueCredential } from '../system/venue-credentials.js';
import { liveAccountVenue, type LiveVenue } from '../system/live-account-venue.js';
import type { Store } from '../store/open-store.js';
import { TradingNode, type NodeRunResult } from '../trading/live/trading-node.js';
import { parseParamList, resolveParams } from '../trading/strategy/params.js';
import { loadStrategy } from './load-strategy.js';
import { decimalFlag, numberFlag } from './parse-flags.js';
import { KairosError } from '../trading/core/errors.js';
import { isVenueBusy } from '../trading/execution/venue-busy.js';
import { banWaiter, openWaitingOutBans, startRefused } from './venue-ban-wait.js';
import { LiveClock } from '../trading/clock/live-clock.js';
import { openVenueFeed, type VenueFeedFlags } from './venue-feed.js';
import { runLines } from './run-lines.js';
import { lambdaRuntime, type LambdaRuntime } from './lambda-runtime.js';
import { cliConfig, withClosedOrderRetention } from './cli-config.js';
import { runLogging } from './run-logging.js';
import { failpointFromEnv } from './failpoint.js';

/** The flags of `kairos live`. */
export interface LiveFlags extends VenueFeedFlags {
  params?: string;
  cash: string;
  account?: string;
  strategyId?: string;
  export?: string;
  lambda?: string;
  credential?: string;
  user?: string;
  onStop?: string;
  maxBanWait?: string;
  closedOrderRetentionMs?: string;
}

/**
 * The venue keys: the stored credential `--credential` (else `EXCHANGE_CREDENTIAL`) names
 * (decrypted with the install's master key), which then wins over EXCHANGE_*; without one,
 * the environment's keys.
 */
async function venueCredentials(
  config: Config,
  store: Store,
  flags: LiveFlags,
  usedBy: string,
  log: (line: string) => void,
): Promise<{ apiKey?: string; secret?: string; password?: string }> {
  const env = exchangeKeys(config);
  const ref = flags.credential ?? config.exchange.credential;
  if (ref === undefined) {
    if (flags.user !== undefined) log('--user is ignored without --credential');
    return env;
  }
  const { summary, secrets } = await openVenueCredential(store.db, await openFieldCipher(config), {
    ref,
    venue: flags.exchange,
    ...(flags.user === undefined ? {} : { username: flags.user }),
    usedBy,
    actor: config.actor,
  });
  if (env.apiKey !== undefined || env.secret !== undefined) {
    log('EXCHANGE_API_KEY/EXCHANGE_SECRET are set but ignored: --credential wins');
  }
  log(`credential: stored ${summary.venue} "${summary.label}" (id ${summary.id})`);
  return {
    apiKey: secrets.apiKey,
    secret: secrets.secret,
    ...(secrets.passphrase === undefined ? {} : { password: secrets.passphrase }),
  };
}

/** Runs `kairos live` (loaded only then: it brings ccxt). */
export async function runLive(file: string, flags: LiveFlags): Promise<void> {
  const config = withClosedOrderRetention(cliConfig(), flags);
  const cash = decimalFlag('--cash', flags.cash, 'positive');
  const params = flags.params ? parseParamList(flags.params) : {};
  const onStop = flags.onStop ?? 'cancel';
  if (onStop !== 'cancel' && onStop !== 'leave')
    throw new KairosError('CONFIG_INVALID', `--on-stop: must be cancel or leave, was ${onStop}`);
  const maxBanWaitMs = numberFlag('--max-ban-wait', flags.maxBanWait ?? '120') * 1000;
  // A bad --lambda name, or a function that is not there, is refused before the strategy is
  // loaded, the store opened and the venue reached.
  const lambda = await lambdaRuntime(config, flags.lambda);
  try {
    await liveWith(file, flags, { config, cash, params, onStop, maxBanWaitMs, lambda });
  } finally {
    lambda?.close();
  }
}

async function liveWith(
  file: string,
  flags: LiveFlags,
  {
    config,
    cash,
    params,
    onStop,
    maxBanWaitMs,
    lambda,
  }: {
    config: Config;
    cash: ReturnType<typeof decimalFlag>;
    params: Record<string, unknown>;
    onStop: 'cancel' | 'leave';
    maxBanWaitMs: number;
    lambda: LambdaRuntime | null;
  },
): Promise<void> {
  const strategy = await loadStrategy(file, path.join(config.home, 'build'), flags.export);
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const logs = runLogging(config, 'live', flags.exchange);
  const { onAlert, venueLine } = logs;
  const strategyId = flags.strategyId ?? strategy.name;
  await logs.openMetrics();
  const store = await openConfiguredStore(config, logs.metrics ?? undefined, logs.logger).catch(
    async (e: unknown) => {
      await logs.closeMetrics();
      throw e;
    },
  );
  let liveVenue: LiveVenue | null = null;
  let venue: Awaited<ReturnType<typeof openVenueFeed>> | null = null;
  let lines: ReturnType<typeof runLines> | null = null;
  let result: NodeRunResult | null = null;
  const waitForVenue = banWaiter(maxBanWaitMs, venueLine);
  try {
    const credentials = await venueCredentials(
      config,
      store,
      flags,
      `kairos live ${strategyId}`,
      log,
    );
    // The keys in use are secrets of this run's logger too, wherever they might show up.
    for (const s of [credentials.apiKey, credentials.secret, credentials.password])
      if (s !== undefined) logs.logger.addSecret(s);
    // Start-up during a rate limit or ban: wait it out (bounded) or exit saying until when.
    venue = await openWaitingOutBans(flags.exchange, waitForVenue, () =>
      openVenueFeed(
        config,
        flags,
        credentials,
        { alert: onAlert, log: venueLine },
        // Public trades too, for a strategy that trades on them.
        { trades: strategy.onTrade !== undefined },
      ),
    );
    const { instrument: inst, startedAt, bars } = venue;
    // Real money on the embedded store: said once, before trading (docs/store.md, "What the
    // embedded store survives").
    if (config.databaseUrl === undefined)
      logs.logger.warn(
        'the embedded store (PGlite) survives a crash of this process, not of the machine (fsync off): set DATABASE_URL for Postgres',
        { component: 'store' },
      );
    // Orders and fills on the key's private connection, as a live account of `kairos serve`
    // trades (its stream in the venue's time too), and the same client on it.
    const live = (liveVenue = liveAccountVenue(await venue.connectPrivate(), {
      accountId: flags.account ?? flags.exchange,
      instruments: [inst],
      growing: false,
      closedOrderRetentionMs: config.closedOrderRetentionMs,
      onAlert,
      onLog: venueLine,
    }));
    const riskRepo = new RiskRepository(store.db);
    const seam = lambda?.seam(strategy, params, store, logs.metrics);
    const feed = venue;
    lines = runLines(
      {
        mode: 'live',
        strategy: strategy.name,
        strategyId,
        account: flags.account ?? flags.exchange,
        venue: flags.exchange,
        instrument: inst.id,
        params: resolveParams(strategy.params, params),
        source: `${flags.exchange} live market from ${new Date(startedAt).toISOString()}`,
        ...(flags.lambda !== undefined ? { lambda: flags.lambda } : {}),
      },
      { onStop: () => feed.stop() },
    );
    const snapshots = new StrategySnapshotRepository(store.db, flags.account ?? flags.exchange);
    const clock = new LiveClock();
    const node = new TradingNode({
      instrument: inst,
      strategy,
      params,
      strategyId,
      accountId: flags.account ?? flags.exchange,
      cash,
      closedOrderRetentionMs: config.closedOrderRetentionMs,
      orders: lines.orders(
        new OrderRepository(store.db, flags.account ?? flags.exchange, Date.now),
      ),
      snapshots: lines.snapshots(snapshots),
      risk: () => riskRepo.settings(),
      // A recovery retried after a ban builds the venue again: the first one's streams stop.
      venue: (deliver, order, stored) => live.build(deliver, order, stored),
      warmUntil: startedAt,
      // The bar it died in, when the venue closed no other since, is played again (docs/paper.md).
      ...(venue.latestClosedBar ? { latestClosedBar: venue.latestClosedBar } : {}),
      // Timers and reconciliation run on the wall clock, whether bars arrive or not.
      clock,
      onStop,
      waitForVenue,
      // Fault tests: KAIROS_FAILPOINT=after-commit:<n> / after-send:<n> kills the process there.
      failpoint: failpointFromEnv(config.failpoint),
      returnFailures: true,
      // The streams stop, then the venue calls still running finish (their reports are stored).
      closeVenue: () => live.close(),
      onAlert,
      // The strategy's own messages are the user's output.
      onLog: log,
      observe: logs.observe,
      onReconciled: logs.onReconciled,
      ...(seam ? { strategySeam: seam } : {}),
    });
    // The venue's new rules (hourly markets refresh) reach the node: new orders snap to them.
    venue.onInstrument((rules) => {
      node.setInstrument(rules);
      live.setInstrument(rules);
    });
    // A node that plays again the bar it died in hears that bar's trades again first.
    const resume = await snapshots.latest(strategyId);
    await venue.start(replayedTradesSince(resume?.ts ?? null, venue.latestClosedBar));
    log(
      `live ${strategyId} on ${flags.exchange} ${inst.id}: trading from ${new Date(startedAt).toISOString()} (on stop: ${onStop} resting orders)`,
    );
    try {
      result = await node.run(lines.feed(bars));
    } catch (e) {
      if (isVenueBusy(e)) throw startRefused(e);
      throw e;
    }
    const stopWord =
      result.failure !== null
        ? `node failed: nothing sent after the failure, ${result.openOrders} orders left open`
        : onStop === 'cancel'
          ? `on stop: cancel (resting orders cancelled, ${result.openOrders} still open)`
          : `on stop: leave (${result.openOrders} orders left working at the venue)`;
    log(
      `live ${strategyId} stopped: ${result.barsProcessed} bars traded, ${result.reconciliations} reconciliations, drift ${result.drift}; ` +
        `position ${result.position.toFixed()}, cash ${result.cash.toFixed()} ${inst.quote}; ${stopWord}` +
        (result.pausedBars > 0
          ? `; ${result.pausedBars} bars not traded while the venue was busy`
          : '') +
        (result.lastReconcileDeferred
          ? `; last reconciliation deferred (${result.lastReconcileDeferred.message})`
          : ''),
    );
    if (result.failure) {
      logs.logger.error('run failed: nothing sent after the failure', {
        component: 'node',
        strategyId,
        venue: flags.exchange,
        code: result.failure.code,
        detail: result.failure.message,
        openOrders: result.openOrders,
      });
      throw new KairosError(result.failure.code, result.failure.message);
    }
  } finally {
    if (venue) lines?.end(result, venue.instrument);
    await (liveVenue as LiveVenue | null)?.close();
    await venue?.close();
    await store.close();
    await logs.closeMetrics();
  }
}
