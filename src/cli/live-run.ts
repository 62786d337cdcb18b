import path from 'node:path';
import { OrderRepository } from '../store/order-repository.js';
import { RiskRepository } from '../store/risk-repository.js';
import { StrategySnapshotRepository } from '../store/strategy-snapshot-repository.js';
import { loadConfig, type Config } from '../system/config.js';
import { openFieldCipher } from '../system/field-cipher.js';
import { openConfiguredStore } from '../system/open-configured-store.js';
import { openVenueCredential } from '../system/venue-credentials.js';
import type { Store } from '../store/open-store.js';
import { TradingNode } from '../trading/live/trading-node.js';
import { parseParamList } from '../trading/strategy/params.js';
import { CcxtExecutionClient } from '../trading/venues/ccxt/ccxt-execution.js';
import { createExchange, credentialsFromEnv } from '../trading/venues/ccxt/exchange-factory.js';
import { loadStrategy } from './load-strategy.js';
import { decimalFlag } from './parse-flags.js';
import { openVenueFeed, type VenueFeedFlags } from './venue-feed.js';

/** The flags of `kairos live`. */
export interface LiveFlags extends VenueFeedFlags {
  params?: string;
  cash: string;
  account?: string;
  strategyId?: string;
  export?: string;
  credential?: string;
  user?: string;
}

/**
 * The venue keys: the stored credential `--credential` names (decrypted with the install's
 * master key), which then wins over EXCHANGE_*; without the flag, the environment.
 */
async function venueCredentials(
  config: Config,
  store: Store,
  flags: LiveFlags,
  usedBy: string,
  log: (line: string) => void,
): Promise<{ apiKey?: string; secret?: string; password?: string }> {
  const env = credentialsFromEnv(process.env);
  if (flags.credential === undefined) {
    if (flags.user !== undefined) log('--user is ignored without --credential');
    return env;
  }
  const { summary, secrets } = await openVenueCredential(store.db, await openFieldCipher(config), {
    ref: flags.credential,
    venue: flags.exchange,
    ...(flags.user === undefined ? {} : { username: flags.user }),
    usedBy,
    actor: process.env.USER ?? 'cli',
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
  const config = loadConfig(process.env);
  const cash = decimalFlag('--cash', flags.cash, 'positive');
  const params = flags.params ? parseParamList(flags.params) : {};
  const strategy = await loadStrategy(file, path.join(config.home, 'build'), flags.export);
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const onAlert = (a: { code: string; message: string }) =>
    process.stderr.write(`alert ${a.code}: ${a.message}\n`);
  const strategyId = flags.strategyId ?? strategy.name;
  const store = await openConfiguredStore(config);
  let client: CcxtExecutionClient | null = null;
  let venue: Awaited<ReturnType<typeof openVenueFeed>> | null = null;
  try {
    const credentials = await venueCredentials(
      config,
      store,
      flags,
      `kairos live ${strategyId}`,
      log,
    );
    venue = await openVenueFeed(config, flags, credentials, { alert: onAlert, log });
    const { exchange, instrument: inst, startedAt, bars } = venue;
    const { exchange: stream } = await createExchange({ ...venue.exchangeConfig, pro: true });
    const riskRepo = new RiskRepository(store.db);
    const feed = venue;
    process.once('SIGINT', () => void feed.stop());
    process.once('SIGTERM', () => void feed.stop());
    const node = new TradingNode({
      instrument: inst,
      strategy,
      params,
      strategyId,
      cash,
      orders: new OrderRepository(store.db, flags.account ?? flags.exchange),
      snapshots: new StrategySnapshotRepository(store.db, flags.account ?? flags.exchange),
      risk: () => riskRepo.settings(),
      venue: (deliver, order) => {
        const c = (client = new CcxtExecutionClient(
          { exchange, stream, instruments: [inst], order, onAlert, onLog: log },
          deliver,
        ));
        c.start();
        return {
          submit: (o, ts) => c.submit(o, ts),
          cancel: (id, ts) => c.cancel(id, ts),
          orderByClientId: (id) => c.orderByClientId(id),
          openOrders: () => c.openOrders(),
          tradesSince: (ts) => c.tradesSince(ts),
          onBar: () => undefined, // the venue has its own market
        };
      },
      warmUntil: startedAt,
      onAlert,
      onLog: log,
    });
    await venue.start();
    log(
      `live ${strategyId} on ${flags.exchange} ${inst.id}: trading from ${new Date(startedAt).toISOString()}`,
    );
    const result = await node.run(bars);
    log(
      `live ${strategyId} stopped: ${result.barsProcessed} bars traded, ${result.reconciliations} reconciliations, drift ${result.drift}; ` +
        `position ${result.position.toFixed()}, cash ${result.cash.toFixed()} ${inst.quote}`,
    );
  } finally {
    await (client as CcxtExecutionClient | null)?.close();
    await venue?.close();
    await store.close();
  }
}
