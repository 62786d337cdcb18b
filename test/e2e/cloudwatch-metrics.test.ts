import { METRICS, RUNTIME_METRICS } from '../../src/monitoring/metric-catalogue.js';
import { checkEmf } from '../support/emf-check.js';
import { startFakeCloudWatch, type FakeCloudWatch } from '../support/fake-cloudwatch.js';
import { runCli } from '../support/run-cli.js';
import { processSchema } from '../support/spawn-schema.js';
import { spawnServe as serve } from '../support/spawn-serve.js';
import { until } from '../support/until.js';

describe('CloudWatch metrics of kairos serve (KAIROS_METRICS=cloudwatch|emf)', () => {
  // Each server's store a Postgres schema (`processSchema`): the metrics are the subject, not
  // the embedded store, and PGlite would run every commit of the server's replay in it.
  const cwDb = processSchema('cloudwatch');
  const emfDb = processSchema('emf');
  let cw: FakeCloudWatch;
  beforeAll(async () => {
    cw = await startFakeCloudWatch();
  });
  afterAll(async () => {
    await cw.close();
  });

  it('cloudwatch: batched PutMetricData with the deployment dimensions, per route and rolled up', async () => {
    const s = serve({
      ...cwDb.env,
      KAIROS_METRICS: 'cloudwatch',
      AWS_ENDPOINT_URL_CLOUDWATCH: cw.url,
      KAIROS_METRICS_INTERVAL_MS: '1000',
      KAIROS_METRICS_DIMENSIONS: 'Service=kairos,Stage=e2e',
      KAIROS_METRICS_NAMESPACE: 'KairosE2E',
    });
    try {
      const api = await s.api();
      for (let i = 0; i < 3; i++) expect((await fetch(`${api}/health`)).status).toBe(200);
      const data = () => cw.requests.flatMap((r) => r.MetricData);
      const dims = (d: { Dimensions?: readonly { Name: string; Value: string }[] }) =>
        Object.fromEntries((d.Dimensions ?? []).map((x) => [x.Name, x.Value]));
      const health = () =>
        data().filter(
          (d) => d.MetricName === METRICS.httpDuration.name && dims(d).route === '/health',
        );
      // The three requests may straddle an interval: wait until every one has been sent.
      const healthCount = () =>
        health()
          .flatMap((d) => d.Counts!)
          .reduce((a, b) => a + b, 0);
      await until(
        () =>
          healthCount() >= 3 &&
          data().some((d) => d.MetricName === RUNTIME_METRICS.eventLoopLagP99),
        30_000,
        'HTTP and event-loop metrics at the local CloudWatch',
      );
      expect(cw.refused).toEqual([]);
      expect(new Set(cw.requests.map((r) => r.Namespace))).toEqual(new Set(['KairosE2E']));
      expect(dims(health()[0]!)).toEqual({
        Service: 'kairos',
        Stage: 'e2e',
        method: 'GET',
        route: '/health',
        status_code: '200',
      });
      expect(healthCount()).toBe(3);
      // The same observations rolled up to the deployment's dimensions (what alarms read).
      const rolled = data().filter(
        (d) => d.MetricName === METRICS.httpDuration.name && d.Dimensions!.length === 2,
      );
      expect(rolled.length).toBeGreaterThan(0);
      expect(rolled.every((d) => d.Unit === 'Seconds')).toBe(true);
    } finally {
      s.child.kill('SIGTERM');
    }
    expect(await s.exited).toBe(0);
  }, 120_000);

  it('emf: Embedded Metric Format lines on stdout that CloudWatch Logs accepts', async () => {
    const s = serve({
      ...emfDb.env,
      KAIROS_METRICS: 'emf',
      KAIROS_METRICS_INTERVAL_MS: '1000',
    });
    try {
      const api = await s.api();
      expect((await fetch(`${api}/health`)).status).toBe(200);
      const emf = () =>
        s
          .out()
          .split('\n')
          .filter((l) => l.startsWith('{"_aws"'));
      await until(
        () => emf().some((l) => l.includes(`"${METRICS.httpDuration.name}"`)),
        30_000,
        'an EMF line with the HTTP metric',
      );
      const docs = emf().map(checkEmf);
      const http = docs.find((d) => METRICS.httpDuration.name in d)!;
      expect(http).toMatchObject({ Service: 'kairos', route: '/health', status_code: '200' });
      expect(http[`${METRICS.httpDuration.name}_count`]).toBeGreaterThanOrEqual(1);
    } finally {
      s.child.kill('SIGTERM');
    }
    expect(await s.exited).toBe(0);
  }, 120_000);

  it('refuses bad CloudWatch settings at start with one line naming the setting', () => {
    const dims = runCli(['config'], { KAIROS_METRICS_DIMENSIONS: 'Stage' });
    expect(dims.code).toBe(2);
    expect(dims.stderr).toMatch(/^kairos: KAIROS_METRICS_DIMENSIONS: must be Name=value pairs/);
    const ns = runCli(['config'], { KAIROS_METRICS_NAMESPACE: 'AWS/EC2' });
    expect(ns.code).toBe(2);
    expect(ns.stderr).toMatch(/^kairos: KAIROS_METRICS_NAMESPACE: /);
    const every = runCli(['config'], { KAIROS_METRICS_INTERVAL_MS: '10' });
    expect(every.code).toBe(2);
    expect(every.stderr).toMatch(
      /^kairos: KAIROS_METRICS_INTERVAL_MS: must be an integer 1000-3600000/,
    );
  });
});
