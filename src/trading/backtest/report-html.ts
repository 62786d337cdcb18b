import { barCount } from './build-report.js';
import { chartData } from './chart-data.js';
import type { BacktestReport } from './report.js';

const ESC: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML. */
function esc(x: unknown): string {
  return String(x).replace(/[&<>"']/g, (c) => ESC[c]!);
}

/** JSON safe inside a `<script>` element (no `</script>`, no HTML comments). */
function scriptJson(x: unknown): string {
  return JSON.stringify(x)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026');
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

const CHART_SCRIPT = `
const R = JSON.parse(document.getElementById('kairos-data').textContent);
const LC = window.LightweightCharts;
const C = R.chart;
// Daily bars are drawn on their own date (\`timeShiftMs\`, chart-data.ts).
const sec = (ms) => Math.floor((ms - C.timeShiftMs) / 1000);
const dedupe = (pts) => { const out = []; for (const p of pts) { if (out.length && out[out.length - 1].time >= p.time) out[out.length - 1] = p; else out.push(p); } return out; };
const base = (el) => LC.createChart(el, { autoSize: true, layout: { background: { color: '#ffffff' }, textColor: '#333', fontFamily: 'system-ui, sans-serif' }, grid: { vertLines: { color: '#f0f0f0' }, horzLines: { color: '#f0f0f0' } }, timeScale: { timeVisible: true, minBarSpacing: 0.001 } });
const eq = dedupe(R.equityCurve.map((p) => ({ time: sec(p.ts), value: Number(p.equity) })));
const c1 = base(document.getElementById('equity'));
const eqFormat = { type: 'price', precision: C.equityPrecision, minMove: Math.pow(10, -C.equityPrecision) };
c1.addSeries(LC.AreaSeries, { title: 'strategy', lineColor: '#2962ff', topColor: 'rgba(41,98,255,0.25)', bottomColor: 'rgba(41,98,255,0.02)', priceFormat: eqFormat }).setData(eq);
if (C.buyAndHold.length) c1.addSeries(LC.LineSeries, { title: 'buy & hold', color: '#9e9e9e', lineWidth: 1, lineStyle: 2, priceFormat: eqFormat }).setData(dedupe(C.buyAndHold.map((p) => ({ time: sec(p.ts), value: p.value }))));
let peak = -Infinity;
const dd = eq.map((p) => { peak = Math.max(peak, p.value); return { time: p.time, value: peak > 0 ? (p.value / peak - 1) * 100 : 0 }; });
const c2 = base(document.getElementById('drawdown'));
c2.addSeries(LC.AreaSeries, { lineColor: '#d32f2f', topColor: 'rgba(211,47,47,0.02)', bottomColor: 'rgba(211,47,47,0.3)', invertFilledArea: true }).setData(dd);
const c3 = base(document.getElementById('price'));
const candles = c3.addSeries(LC.CandlestickSeries, { upColor: '#26a69a', downColor: '#ef5350', borderVisible: false, wickUpColor: '#26a69a', wickDownColor: '#ef5350', priceFormat: { type: 'price', precision: C.price.precision, minMove: C.price.minMove } });
candles.setData(dedupe(R.prices.map((p) => ({ time: sec(p.ts), open: p.open, high: p.high, low: p.low, close: p.close }))));
const markers = C.markers.map((m) => ({ time: sec(m.ts), position: m.side === 'BUY' ? 'belowBar' : 'aboveBar', color: m.side === 'BUY' ? '#2e7d32' : '#c62828', shape: m.side === 'BUY' ? 'arrowUp' : 'arrowDown', text: (m.side === 'BUY' ? 'B' : 'S') + (m.count > 1 ? '×' + m.count : '') }));
if (R.prices.length) LC.createSeriesMarkers(candles, markers);
for (const c of [c1, c2, c3]) c.timeScale().fitContent();
`;

const STYLE = `
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 0; color: #1d1d1f; background: #f6f7f9; }
header { background: #fff; border-bottom: 1px solid #e3e5e8; padding: 20px 32px; }
h1 { font-size: 20px; margin: 0 0 4px; } .sub { color: #666; font-size: 13px; }
main { padding: 16px 32px 48px; max-width: 1200px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 12px; margin: 16px 0; }
.kpi { background: #fff; border: 1px solid #e3e5e8; border-radius: 8px; padding: 12px; }
.kpi b { display: block; font-size: 17px; margin-top: 4px; overflow-wrap: anywhere; } .kpi span { color: #666; font-size: 12px; }
section { background: #fff; border: 1px solid #e3e5e8; border-radius: 8px; padding: 16px; margin: 16px 0; }
h2 { font-size: 15px; margin: 0 0 12px; } .chart { height: 320px; } .chart.small { height: 180px; }
table { border-collapse: collapse; width: 100%; font-size: 12px; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #f0f0f0; } th { color: #666; font-weight: 600; }
.note { color: #666; font-size: 12px; margin-top: 8px; }
.failed { border-color: #c62828; color: #c62828; }
`;

function table(head: string[], rows: unknown[][], total: number, limit: number): string {
  const body = rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c ?? '')}</td>`).join('')}</tr>`)
    .join('');
  const note =
    total > limit
      ? `<p class="note">First ${limit} of ${total} rows; report.json has all of them.</p>`
      : '';
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${body}</tbody></table>${note}`;
}

/**
 * Renders the report as one self-contained HTML page: the charting library is inlined, the data
 * is embedded as JSON, nothing is fetched. Every string is escaped. Deterministic.
 *
 * @example
 * const html = renderReportHtml(report, { chartLibrarySource: await readFile(libPath, 'utf8') });
 */
export function renderReportHtml(
  report: BacktestReport,
  opts: { readonly chartLibrarySource: string },
): string {
  const m = report.metrics;
  const kpis: [string, string][] = [
    ['Total return', pct(m.totalReturn)],
    ['CAGR', pct(m.cagr)],
    ['Sharpe', m.sharpe.toFixed(2)],
    ['Sortino', m.sortino.toFixed(2)],
    ['Max drawdown', pct(m.maxDrawdown)],
    ['Round trips', String(m.roundTrips)],
    ['Win rate', pct(m.winRate)],
    ['Profit factor', m.profitFactor === null ? 'n/a' : m.profitFactor.toFixed(2)],
    ['Exposure', pct(m.exposure)],
    ['Fees', m.fees],
    ['Start equity', m.startEquity],
    ['End equity', m.endEquity],
  ];
  const LIMIT = 500;
  const params = Object.entries(report.parameters).map(([k, v]) => [k, v]);
  const settings = Object.entries(report.settings).map(([k, v]) => [k, v]);
  const trips = report.roundTrips
    .slice(0, LIMIT)
    .map((t) => [
      t.side,
      iso(t.openedAt),
      iso(t.closedAt),
      t.quantity,
      t.entryPrice,
      t.exitPrice,
      t.pnl,
      t.fees,
    ]);
  const orders = report.orders
    .slice(0, LIMIT)
    .map((o) => [
      o.clientOrderId,
      iso(o.createdAt),
      o.side,
      o.type,
      o.quantity,
      o.price,
      o.status,
      o.reason,
      o.filledQuantity,
      o.avgFillPrice,
    ]);
  const chart = chartData(report);
  const f = report.failure;
  const failed = f
    ? `<section class="failed"><h2>Run FAILED: partial report</h2><p>${esc(f.code)} in ${esc(f.phase)}${f.barIndex === null ? '' : ` at bar ${esc(f.barIndex)}`}${f.ts === null ? '' : ` (${esc(new Date(f.ts).toISOString())})`}: ${esc(f.message)}</p></section>\n`
    : '';
  const markerNote =
    chart.markers.length < chart.markerFills
      ? `<p class="note">${esc(chart.markerFills)} fills shown as ${esc(chart.markers.length)} markers (fills of one side on one bar grouped as B×n / S×n${chart.markersDropped > 0 ? `, then ${esc(chart.markersDropped)} groups left out evenly` : ''}); the orders table and report.json have every one.</p>`
      : '';
  const lib = opts.chartLibrarySource.replace(/<\/script/gi, '<\\/script');
  const daily = chart.timeShiftMs > 0;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(report.strategy)} on ${esc(report.instrumentId)} — Kairos backtest</title>
<style>${STYLE}</style></head>
<body>
<header><h1>${esc(report.strategy)} on ${esc(report.instrumentId)}</h1>
<div class="sub">${esc(report.dataFile)} · ${esc(iso(report.period.from))} → ${esc(iso(report.period.to))} · ${esc(barCount(report.period))} · ${esc(report.orders.length)} orders · ${esc(report.fills.length)} fills</div></header>
<main>
${failed}<div class="kpis">${kpis.map(([k, v]) => `<div class="kpi"><span>${esc(k)}</span><b>${esc(v)}</b></div>`).join('')}</div>
<section><h2>Equity</h2><div id="equity" class="chart"></div><p class="note">${daily ? 'Each point: the equity at the close of a day’s bar, drawn on that day. ' : ''}Dashed: buy and hold (the starting equity in ${esc(report.instrumentId)} at the first open, no fees).</p></section>
<section><h2>Drawdown (%)</h2><div id="drawdown" class="chart small"></div></section>
<section><h2>Trades on price</h2><div id="price" class="chart"></div>${markerNote}</section>
<section><h2>Parameters and settings</h2>${table(['name', 'value'], [...params, ...settings], params.length + settings.length, 1000)}</section>
<section><h2>Round trips</h2>${table(['side', 'opened', 'closed', 'quantity', 'entry', 'exit', 'PnL (net)', 'fees'], trips, report.roundTrips.length, LIMIT)}</section>
<section><h2>Orders</h2>${table(['id', 'created', 'side', 'type', 'quantity', 'price', 'status', 'reason', 'filled', 'avg price'], orders, report.orders.length, LIMIT)}</section>
</main>
<script type="application/json" id="kairos-data">${scriptJson({ equityCurve: report.equityCurve, prices: report.prices, chart })}</script>
<script>${lib}</script>
<script>${CHART_SCRIPT}</script>
</body></html>
`;
}
