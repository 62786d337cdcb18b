import { readFileSync } from 'node:fs';
import path from 'node:path';
import { alarmDefinitions, type AlarmDefinition } from '../../../src/monitoring/alarms.js';
import { METRICS, RUNTIME_METRICS } from '../../../src/monitoring/metric-catalogue.js';

const alarms = alarmDefinitions();
/** Every metric name of the catalogue, with the labels it has. */
const catalogue = new Map<string, readonly string[]>([
  ...Object.values(METRICS).map(
    (m) => [m.name, 'labelNames' in m ? m.labelNames : []] as [string, readonly string[]],
  ),
  ...Object.values(RUNTIME_METRICS).map((name) => [name, []] as [string, readonly string[]]),
]);

/** The `### ` headings of the `## Alarms` section of docs/operations.md, each with its text. */
function runbook(): Map<string, string> {
  const doc = readFileSync(path.join(process.cwd(), 'docs', 'operations.md'), 'utf8');
  const start = doc.search(/^## Alarms$/m);
  expect(start).toBeGreaterThanOrEqual(0);
  const rest = doc.slice(start + '## Alarms'.length);
  const end = rest.search(/^## /m);
  const section = end < 0 ? rest : rest.slice(0, end);
  const out = new Map<string, string>();
  for (const part of section.split(/^### /m).slice(1)) {
    const [heading, ...body] = part.split('\n');
    out.set(heading!.trim(), body.join('\n').trim());
  }
  return out;
}

describe('alarm definitions', () => {
  it('are the eight the issue names, each once', () => {
    expect(alarms.map((a) => a.name)).toEqual([
      'http-5xx-rate',
      'order-latency-p99',
      'risk-denial-spike',
      'reconciliation-drift',
      'kill-switch-engaged',
      'venue-disconnected',
      'event-loop-lag',
      'persistence-failed',
    ]);
  });

  it.each(alarms.map((a) => [a.name, a] as [string, AlarmDefinition]))(
    '%s watches metrics of the catalogue, with only their labels, and is well formed',
    (_name, a) => {
      expect(a.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(a.series.length).toBeGreaterThan(0);
      for (const s of a.series) {
        expect(catalogue.has(s.metricName)).toBe(true);
        const labels = catalogue.get(s.metricName)!;
        for (const label of Object.keys(s.where ?? {})) expect(labels).toContain(label);
        expect(s.id).toMatch(/^[a-z][a-zA-Z0-9_]*$/);
        expect(s.statistic).toMatch(/^(Sum|Average|Maximum|Minimum|SampleCount|p\d+(\.\d+)?)$/);
      }
      if (a.series.length > 1) expect(a.expression).toBeDefined();
      for (const id of a.expression?.match(/[a-z][a-zA-Z0-9_]*/g) ?? [])
        expect(a.series.map((s) => s.id)).toContain(id);
      expect(a.threshold).toBeGreaterThan(0);
      expect(a.periodSeconds % 60).toBe(0);
      expect(a.periodSeconds).toBeGreaterThan(0);
      expect(a.evaluationPeriods).toBeGreaterThanOrEqual(a.datapointsToAlarm);
      expect(a.datapointsToAlarm).toBeGreaterThanOrEqual(1);
      expect(a.meaning.length).toBeGreaterThan(20);
      expect(a.action.length).toBeGreaterThan(20);
    },
  );

  it('each has its runbook paragraph in docs/operations.md, and the runbook no other', () => {
    const paragraphs = runbook();
    for (const a of alarms) {
      const text = paragraphs.get(`\`${a.name}\``);
      expect([a.name, text === undefined ? 'no heading' : 'heading']).toEqual([a.name, 'heading']);
      expect(text!.length).toBeGreaterThan(200);
      expect(text).toContain(a.severity === 'critical' ? '**Critical.**' : '**Warning.**');
      for (const s of a.series)
        expect([a.name, text!.includes(s.metricName)]).toEqual([a.name, true]);
    }
    expect([...paragraphs.keys()]).toEqual(alarms.map((a) => `\`${a.name}\``));
  });

  it('take the namespace and the deployment dimensions', () => {
    const prod = alarmDefinitions({
      namespace: 'Kairos/Prod',
      dimensions: { Environment: 'prod' },
    });
    expect(prod.every((a) => a.namespace === 'Kairos/Prod')).toBe(true);
    expect(prod.every((a) => a.dimensions.Environment === 'prod')).toBe(true);
    expect(alarms.every((a) => a.namespace === 'Kairos')).toBe(true);
  });
});
