import { isS3Url } from '../cloud/s3-url.js';
import type { Command } from 'commander';
import type { Config } from '../system/config.js';
import { venueSettings, type VenueSetting } from '../system/venue-settings.js';
import {
  cliConfig,
  closedOrderRetentionOption,
  withClosedOrderRetention,
  withWsMaxConnections,
} from './cli-config.js';
import { decimalFlag, numberFlag } from './parse-flags.js';
import { checkPortFree } from './port-check.js';
import {
  replayInstrument,
  replayInstrumentOptions,
  type ReplayInstrumentFlags,
} from './replay-instrument.js';

interface ServeFlags extends ReplayInstrumentFlags {
  speed: string;
  host: string;
  port?: string;
  strategies?: string;
  backtestData?: string;
  venue: string[];
  venueSymbol: string[];
  exchangeUrl?: string;
  closedOrderRetentionMs?: string;
  wsMaxConnectionsPerAddress?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** How long past the drain's own bound a stopping instance may take to close, ms. */
const DRAIN_GRACE_MS = 5_000;

/** Registers `kairos serve`. */
export function registerServe(program: Command): void {
  replayInstrumentOptions(
    program
      .command('serve')
      .description('start the API (REST + WebSocket, OpenAPI at /docs) on a paper venue'),
    'market data to replay as the live feed (a file, or s3://bucket/key)',
  )
    .option('--speed <factor>', 'replay speed: bar time / real time', '60')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port (0: any free one; default: PORT, else 8080)')
    .option('--strategies <dir>', 'strategy catalog (default: $KAIROS_HOME/strategies)')
    .option('--backtest-data <dir>', 'data files backtests may name (default: $KAIROS_HOME/data)')
    .option(
      '--venue <id>',
      'a ccxt venue live accounts trade on, e.g. binance; repeat for more (env: KAIROS_VENUES)',
      collect,
      [],
    )
    .option(
      '--exchange-url <url>',
      "the venues' REST + WebSocket base URL (a simulator, a sandbox; env: EXCHANGE_URL)",
    )
    .option(
      '--venue-symbol <symbol>',
      'restrict the venues to these symbols, e.g. BTC/USDT; repeat for more (default: any market a venue lists, taken on demand)',
      collect,
      [],
    )
    .option(...closedOrderRetentionOption())
    .option(
      '--ws-max-connections-per-address <n>',
      'the most WebSocket connections one client address holds open, 1-100000 (default: KAIROS_WS_MAX_CONNECTIONS_PER_ADDRESS, else 50)',
    )
    .action(async (flags: ServeFlags) => {
      const config = withWsMaxConnections(withClosedOrderRetention(cliConfig(), flags), flags);
      const speed = numberFlag('--speed', flags.speed);
      const port = servePort(flags.port, config);
      // Bind first: a taken port fails now, before KAIROS_HOME is touched.
      await checkPortFree(flags.host, port);
      if (config.metrics.port !== undefined && config.metrics.sink !== 'off')
        await checkPortFree(config.metrics.host, config.metrics.port, 'METRICS_PORT');
      // An s3:// file (the deployment's market-data bucket) is copied down, checked, and replayed.
      if (isS3Url(flags.data))
        flags.data = (
          await (await import('./object-file.js')).stageObject(flags.data, { mustExist: true })
        ).file;
      const instrument = await replayInstrument(flags);
      const { startTradingServer } = await import('../system/trading-server.js');
      const { rootLogger } = await import('./root-logger.js');
      const logger = rootLogger(config, 'serve');
      const server = await startTradingServer(config, {
        data: flags.data,
        instrument,
        cash: decimalFlag('--cash', flags.cash, 'positive'),
        speed,
        host: flags.host,
        port,
        logger,
        ...(flags.strategies ? { strategiesDir: flags.strategies } : {}),
        ...(flags.backtestData ? { backtestDataDir: flags.backtestData } : {}),
        venues: serveVenues(flags, config),
      });
      process.stdout.write(
        `kairos listening on ${server.url} (${instrument.id}; instance ${server.instanceId}; docs at ${server.url}/docs)\n`,
      );
      if (server.metricsUrl) process.stdout.write(`metrics at ${server.metricsUrl}\n`);
      const hint = noUsersHint(await server.userCount(), config.databaseUrl === undefined);
      if (hint) process.stdout.write(`${hint}\n`);
      void server.replayDone.then(
        (n) => process.stdout.write(`replay ended after ${n} bars\n`),
        // A fatal error in the trading core ends the server: one line, non-zero, never a hang.
        (e: unknown) => {
          logger.error('trading core failed: the server stops', { component: 'server', err: e });
          process.stderr.write(`kairos serve: ${(e as Error).message}\n`);
          process.exit(1);
        },
      );
      // SIGTERM (an orchestrator's stop, a rolling restart): the graceful drain, whose leases
      // the other instances take at once; SIGINT (Ctrl-C): the same, then exit.
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGTERM', () => resolve('SIGTERM'));
        process.once('SIGINT', () => resolve('SIGINT'));
      });
      // The drain is bounded (KAIROS_DRAIN_TIMEOUT_MS); a stop that still hangs after it, or a
      // handle left open once everything stopped (a connection nobody closes: the process would
      // never exit), must not keep a stopped instance alive: exit 1 anyway, saying which. The
      // timer is unref'd: a drain that leaves nothing open exits 0 at once.
      let drained = false;
      const hard = setTimeout(() => {
        const what = drained
          ? 'drained, but something still keeps the process alive'
          : 'the drain did not end in time';
        logger.error(`${what}: exiting`, {
          component: 'server',
          signal,
          resources: process.getActiveResourcesInfo().join(','),
        });
        process.stderr.write(`kairos serve: ${signal}: ${what}; exiting\n`);
        process.exit(1);
      }, config.instances.drainTimeoutMs + DRAIN_GRACE_MS);
      hard.unref();
      await server.drain();
      drained = true;
      process.stdout.write(`kairos serve: ${signal}: drained and stopped\n`);
    });
}

/**
 * `serve`'s venues: `--venue` (else `KAIROS_VENUES`), each at `--exchange-url` (else
 * `EXCHANGE_URL`), trading `--venue-symbol`s when given.
 *
 * @example
 * serveVenues({ venue: ['binance'], venueSymbol: [], exchangeUrl: 'http://127.0.0.1:9444' }, config);
 */
export function serveVenues(
  flags: Pick<ServeFlags, 'venue' | 'venueSymbol' | 'exchangeUrl'>,
  config: Pick<Config, 'exchange'>,
): VenueSetting[] {
  const ids = flags.venue.length > 0 ? flags.venue : config.exchange.venues;
  return venueSettings(ids, config.exchange, flags.exchangeUrl, flags.venueSymbol);
}

/**
 * `serve`'s port: `--port`, else `PORT`, else 8080.
 *
 * @example
 * servePort(undefined, { port: 9090 }); // 9090
 */
export function servePort(flag: string | undefined, config: Pick<Config, 'port'>): number {
  if (flag !== undefined) return numberFlag('--port', flag, { integer: true, max: 65535 });
  return config.port ?? 8080;
}

/** What `serve` says at start when nobody can log in yet (null when some user exists). */
export function noUsersHint(users: number, embedded: boolean): string | null {
  if (users > 0) return null;
  return (
    'no users yet: nobody can log in. Run: ' +
    "KAIROS_ADMIN_PASSWORD='a long admin passphrase' npx kairos user create-admin <name>" +
    (embedded ? ' (embedded store: stop this server first, then start it again)' : '')
  );
}
