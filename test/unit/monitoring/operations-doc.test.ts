import { readFileSync } from 'node:fs';
import path from 'node:path';
import { METRICS, RUNTIME_METRICS } from '../../../src/monitoring/metric-catalogue.js';
import { MetricsRegistry } from '../../../src/monitoring/metrics-registry.js';

/** The `## Metrics` section of docs/operations.md. */
function metricsSection(): string {
  const doc = readFileSync(path.join(process.cwd(), 'docs', 'operations.md'), 'utf8');
  const start = doc.search(/^## Metrics$/m);
  expect(start).toBeGreaterThanOrEqual(0);
  const rest = doc.slice(start + '## Metrics'.length);
  const end = rest.search(/^## /m);
  return end < 0 ? rest : rest.slice(0, end);
}

interface Row {
  readonly name: string;
  readonly type: string;
  readonly labels: string[];
}

/** The rows `| \`kairos_…\` | type | labels | meaning |` of the section's tables. */
function rows(section: string): Row[] {
  const out: Row[] = [];
  for (const line of section.split('\n')) {
    const m = /^\| `(kairos_[a-z0-9_]+)` \| ([a-z]+) \| ([^|]*) \|/.exec(line);
    if (!m) continue;
    const labels = [...m[3]!.matchAll(/`([a-z_]+)`/g)].map((x) => x[1]!);
    out.push({ name: m[1]!, type: m[2]!, labels });
  }
  return out;
}

/** `a_{x,y}_b` → `a_x_b`, `a_y_b` (the runtime paragraph's shorthand). */
function expand(name: string): string[] {
  const m = /^(.*?)\{([^}]+)\}(.*)$/.exec(name);
  if (!m) return [name];
  return m[2]!.split(',').flatMap((part) => expand(`${m[1]}${part}${m[3]}`));
}

describe('docs/operations.md, "Metrics": every metric the process publishes, as the catalogue says', () => {
  const section = metricsSection();
  const table = rows(section);

  it('has one row per catalogue metric, and no other', () => {
    const names = table.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(
      Object.values(METRICS)
        .map((m) => m.name)
        .sort(),
    );
  });

  it.each(Object.entries(METRICS))('%s: the labels and the type the row gives', (_key, m) => {
    const row = table.find((r) => r.name === m.name);
    expect(row).toBeDefined();
    const labels = 'labelNames' in m ? [...m.labelNames] : [];
    expect([m.name, row!.labels]).toEqual([m.name, labels]);
    // Counters end in _total; histograms are 'buckets' ones (seconds); gauges neither.
    const kind = m.name.endsWith('_total')
      ? 'counter'
      : 'buckets' in m || m.name.endsWith('_duration_seconds')
        ? 'histogram'
        : 'gauge';
    expect([m.name, row!.type]).toEqual([m.name, kind]);
  });

  it('names every runtime metric the registry exposes, and only those (or says why it is left out)', async () => {
    const start = section.indexOf('### Runtime');
    expect(start).toBeGreaterThanOrEqual(0);
    const runtime = section.slice(start, section.indexOf('\n### ', start + 1));
    const named = [...runtime.matchAll(/`((?:process|nodejs)_[a-z0-9_{},]+)`/g)].flatMap((x) =>
      expand(x[1]!),
    );
    const text = await new MetricsRegistry().text();
    const exposed = [...text.matchAll(/^# TYPE (\S+) /gm)].map((x) => x[1]!);
    for (const name of exposed) expect([name, named.includes(name)]).toEqual([name, true]);
    const leftOut = /are left out/.test(runtime)
      ? [...runtime.slice(runtime.indexOf("prom-client's `")).matchAll(/`([a-z_]+_total)`/g)].map(
          (x) => x[1]!,
        )
      : [];
    for (const name of named)
      expect([name, exposed.includes(name) || leftOut.includes(name)]).toEqual([name, true]);
    for (const name of Object.values(RUNTIME_METRICS)) expect(exposed).toContain(name);
  });
});
