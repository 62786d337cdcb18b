import path from 'node:path';
import cliProgress from 'cli-progress';
import { connectRedis } from '../scalability/connections.js';
import { createVenuePolicy } from '../scalability/resilience/venue-policy.js';
import { KairosError } from '../trading/core/errors.js';
import type { Bar } from '../trading/data/market-data.js';
import { ClockSkew } from '../trading/venues/ccxt/clock-skew.js';
import { asKairosError, busyError } from '../trading/venues/ccxt/error-mapping.js';
import { exchangeKeys } from '../system/config.js';
import { createExchange } from '../trading/venues/ccxt/exchange-factory.js';
import { venueExchangeConfig } from '../system/venue-connection.js';
import { venueSettings } from '../system/venue-settings.js';
import { ohlcvPages, timeframeMs } from '../trading/venues/ccxt/ohlcv-pages.js';
import { isVenueBusy } from '../trading/execution/venue-busy.js';
import { venueBudget } from '../system/venue-budget.js';
import { banWaiter, openWaitingOutBans } from './venue-ban-wait.js';
import { CandleFile } from './candle-file.js';
import { dateFlag, numberFlag } from './parse-flags.js';
import { cliConfig } from './cli-config.js';
import { isS3Url } from '../cloud/s3-url.js';
import type { StagedObject } from './object-file.js';

/** The flags of `kairos data download`, as commander parses them. */
export interface DownloadFlags {
  exchange: string;
  symbol: string;
  timeframe: string;
  since: string;
  until?: string;
  exchangeUrl?: string;
  out?: string;
  limit: string;
  progress: boolean;
  /** At start, the longest wait for a venue ban or rate limit, seconds (default 120). */
  maxBanWait?: string;
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/**
 * `kairos data download`: pages through the venue's candles into a freqtrade JSON file,
 * resuming after what the file holds (see `candle-file.ts`).
 */
export async function download(flags: DownloadFlags): Promise<void> {
  const since = dateFlag('--since', flags.since);
  const until = flags.until !== undefined ? dateFlag('--until', flags.until) : undefined;
  if (until !== undefined && until <= since)
    throw new KairosError('USAGE', `--until ${flags.until} is not after --since ${flags.since}`);
  const maxBanWaitMs = numberFlag('--max-ban-wait', flags.maxBanWait ?? '120') * 1000;
  const limit = numberFlag('--limit', flags.limit, { integer: true, max: 5000 });
  if (limit < 2) throw new KairosError('USAGE', `--limit: must be at least 2, was ${flags.limit}`);
  if (!/^[A-Za-z0-9._-]+\/[A-Za-z0-9._:-]+$/.test(flags.symbol))
    throw new KairosError(
      'USAGE',
      `--symbol: must be BASE/QUOTE like BTC/USDT, was ${JSON.stringify(flags.symbol)}`,
    );
  const target =
    flags.out ??
    path.join(
      cliConfig().home,
      'data',
      flags.exchange,
      `${flags.symbol.replace(/[/:]/g, '_')}-${flags.timeframe}.json`,
    );
  if (/\.gz$/i.test(target))
    throw new KairosError(
      'USAGE',
      `--out: a plain .json file (it grows as pages arrive), was ${target}`,
    );
  // s3://bucket/key: the object is copied down (resuming after what it holds), grown locally,
  // and uploaded whole when the download ends; a failed download leaves the object as it was.
  const staged: StagedObject | null = isS3Url(target)
    ? await (await import('./object-file.js')).stageObject(target, { mustExist: false })
    : null;
  const out = staged?.file ?? target;

  const venue = flags.exchange;
  const config = cliConfig();
  const log = (line: string) => process.stderr.write(`kairos: ${line}\n`);
  // The venue's shared request budget and bans, as `live` and `serve` take them: in Redis with
  // REDIS_URL, so a ban another process met on this venue and IP stops this download too.
  const redis = config.redisUrl ? await connectRedis(config.redisUrl) : null;
  // Quiet: its alerts are the wait lines below, and stderr is for those and errors.
  const quiet = () => undefined;
  const budget = venueBudget(redis, { alert: quiet, log: quiet }, undefined, config.redisPrefix);
  // The venue's options as `live` and `serve` read them (URL, rate limit, sandbox).
  const [setting] = venueSettings([venue], config.exchange, flags.exchangeUrl);
  let exchange: Awaited<ReturnType<typeof createExchange>>['exchange'];
  let gate: Awaited<ReturnType<typeof createExchange>>['gate'];
  try {
    ({ exchange, gate } = await createExchange(
      venueExchangeConfig(setting!, exchangeKeys(config), budget),
    ));
  } catch (e) {
    redis?.disconnect();
    throw e;
  }
  const policy = createVenuePolicy({ venue });
  // A rate limit or ban met mid-way (the venue's 429/418, or one recorded by another process)
  // is waited out to its end, and the same request sent again: no candle lost or fetched twice.
  const read = async <T>(call: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        return await policy.read(call);
      } catch (e) {
        const busy = busyError(e, venue, Date.now(), gate?.bannedUntil()?.untilMs);
        if (!isVenueBusy(busy) || busy.code === 'VENUE_UNAVAILABLE') throw e;
        log(`${busy.message}; waiting`);
        await new Promise((r) => setTimeout(r, Math.max(250, busy.untilMs - Date.now())));
      }
    }
  };
  try {
    // At start, a ban is waited out up to --max-ban-wait, else one line says until when (exit 2),
    // as `kairos live` does. A retry loads the markets again: ccxt keeps a failed load's promise
    // and answers it again without a request.
    let loads = 0;
    await openWaitingOutBans(venue, banWaiter(maxBanWaitMs, log), () =>
      policy.read(() => exchange.loadMarkets(loads++ > 0)),
    );
    if (!exchange.markets?.[flags.symbol])
      throw new KairosError('USAGE', `--symbol: ${venue} has no market ${flags.symbol}`);
    const interval = timeframeMs(exchange, flags.timeframe);
    let offset = 0;
    if (exchange.has.fetchTime)
      offset = (await read(() => new ClockSkew(exchange).measure())).offsetMs;
    const now = () => Date.now() + offset;

    const file = await CandleFile.open(out);
    const pages = (from: number, to: number | undefined) =>
      ohlcvPages(exchange, {
        symbol: flags.symbol,
        timeframe: flags.timeframe,
        since: from,
        until: to,
        limit,
        now,
        read,
      });
    let added = 0;
    if (file.first !== null && since < file.first) {
      // Candles before those the file holds: fetched whole, then merged in one atomic rewrite.
      const head: Bar[] = [];
      for await (const page of pages(since, Math.min(until ?? Infinity, file.first)))
        head.push(...page);
      added += await file.merge(head);
    }
    const start = file.last !== null && file.last >= since ? file.last + interval : since;
    const end = Math.min(until ?? Infinity, now());
    const expected = Math.max(0, Math.ceil((end - start) / interval));
    const bar =
      flags.progress && process.stderr.isTTY === true && expected > 0
        ? new cliProgress.SingleBar(
            {
              stream: process.stderr,
              format: ' {bar} {percentage}% | {value}/{total} candles | {date}',
              hideCursor: true,
              clearOnComplete: true,
            },
            cliProgress.Presets.shades_classic,
          )
        : null;
    bar?.start(expected, 0, { date: iso(start) });
    let done = 0;
    try {
      for await (const page of pages(start, until)) {
        const n = await file.append(page);
        added += n;
        done += n;
        bar?.update(Math.min(done, expected), { date: iso(page.at(-1)!.openTime) });
      }
    } finally {
      bar?.stop();
    }
    const range = file.first !== null ? ` (${iso(file.first)} .. ${iso(file.last!)})` : '';
    if (staged && added > 0) await staged.upload();
    process.stdout.write(
      `${added} new candles; ${file.count} in ${target}${range}${added === 0 ? ', already up to date' : ''}\n`,
    );
  } catch (e) {
    throw asKairosError(e, venue);
  } finally {
    redis?.disconnect();
    await exchange.close();
  }
}
