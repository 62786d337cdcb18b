import net from 'node:net';
import { METRICS, RUNTIME_METRICS } from '../../src/monitoring/metric-catalogue.js';
import type { BinanceSim } from '../../src/simulators/binance/server.js';
import { LIVE_ARGS, spawnLive, startLiveSim } from '../support/ccxt-sim.js';
import { parsePrometheus, sampleValue, type PromSample } from '../support/prometheus-text.js';
import { promtoolCheckMetrics } from '../support/promtool.js';
import { runCli, runCliAsync } from '../support/run-cli.js';
import { spawnServe } from '../support/spawn-serve.js';
import { processSchema } from '../support/spawn-schema.js';
import { until } from '../support/until.js';
import { tempDir } from '../support/temp-dir.js';

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen({ host: '127.0.0.1', port: 0 }, r));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((r) => probe.close(r));
  return port;
}

async function scrape(url: string): Promise<{ text: string; samples: PromSample[] } | undefined> {
  try {
    const res = await fetch(url);
    if (res.status !== 200) return undefined;
    const text = await res.text();
    return { text, samples: parsePrometheus(text) };
  } catch {
    return undefined;
  }
}

// The two runs' stores are Postgres schemas (`processSchema`): the metrics are the subject, not
// the embedded default, and PGlite would run every commit of the live run in the process.
describe('metrics of the long-running commands (METRICS_PORT)', () => {
  const live = processSchema('metrics_live');
  const serve = processSchema('metrics_serve');
  let sim: BinanceSim;
  beforeAll(async () => {
    sim = await startLiveSim();
  });
  afterAll(async () => {
    await sim.close();
  });

  it('kairos live publishes its orders, latency and venue connection; promtool finds no problem', async () => {
    const home = tempDir('kairos-live-metrics-');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/metrics`;
    const { child, output, exited } = spawnLive(sim, home, LIVE_ARGS, {
      ...live.env,
      METRICS_PORT: String(port),
    });
    try {
      const seen = await until(
        async () => {
          const s = await scrape(url);
          return s &&
            (sampleValue(s.samples, METRICS.orders.name, {
              venue: 'binance',
              status: 'ACCEPTED',
            }) ?? 0) >= 1
            ? s
            : undefined;
        },
        90_000,
        `an accepted order in ${url} (output: ${output().slice(-500)})`,
      );
      const { samples, text } = seen;
      expect(
        sampleValue(samples, `${METRICS.orderLatency.name}_count`, { venue: 'binance' }),
      ).toBeGreaterThanOrEqual(1);
      expect(
        sampleValue(samples, METRICS.venueConnected.name, { venue: 'binance', channel: 'orders' }),
      ).toBe(1);
      expect(
        sampleValue(samples, METRICS.reconciliations.name, { venue: 'binance', result: 'clean' }),
      ).toBeGreaterThanOrEqual(1);
      expect(sampleValue(samples, `${METRICS.dbCommit.name}_count`)).toBeGreaterThan(0);
      expect(sampleValue(samples, RUNTIME_METRICS.eventLoopLagP99)).toBeGreaterThanOrEqual(0);
      // The order ids of the run never appear as label values.
      expect(text).not.toMatch(/sma-cross-\d+/);
      const check = await promtoolCheckMetrics(text);
      expect(check.output).toBe('');
      expect(check.ok).toBe(true);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    // The listener closed with the run.
    expect(await scrape(url)).toBeUndefined();
  }, 180_000);

  it('kairos serve prints where its metrics are; its /metrics passes promtool', async () => {
    const { child, exited, out } = spawnServe({ ...serve.env, METRICS_PORT: '0' });
    try {
      const url = await until(
        () => /^metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)$/m.exec(out())?.[1],
        60_000,
        'the metrics line',
      );
      const api = /kairos listening on (\S+) /.exec(out())![1]!;
      expect(new URL(url).port).not.toBe(new URL(api).port);
      expect((await fetch(`${api}/health`)).status).toBe(200);
      const s = (await scrape(url))!;
      expect(
        sampleValue(s.samples, `${METRICS.httpDuration.name}_count`, { route: '/health' }),
      ).toBeGreaterThanOrEqual(1);
      const check = await promtoolCheckMetrics(s.text);
      expect(check.output).toBe('');
      expect(check.ok).toBe(true);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 120_000);

  it('refuses a bad KAIROS_METRICS or METRICS_PORT at start with one line naming it', async () => {
    const bad = runCli(['config'], { KAIROS_METRICS: 'statsd' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'kairos: KAIROS_METRICS: must be one of prometheus, emf, cloudwatch, off, was "statsd" [CONFIG_INVALID]\n',
    );
    const port = await runCliAsync(['config'], { METRICS_PORT: 'x' });
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/^kairos: METRICS_PORT: must be an integer 0-65535/);
    const shown = JSON.parse(runCli(['config'], { KAIROS_METRICS: 'EMF' }).stdout);
    expect(shown).toMatchObject({ metrics: 'emf', metricsPort: null, metricsHost: '127.0.0.1' });
  });
});
