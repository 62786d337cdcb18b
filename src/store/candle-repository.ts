import { sql, type Kysely, type Selectable } from 'kysely';
import type { Bar } from '../trading/data/market-data.js';
import type { CandlesTable, Schema } from './schema.js';

/** The first ms of the month of `t`, and of the next month (UTC). */
function monthOf(t: number): [number, number, string] {
  const d = new Date(t);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  return [Date.UTC(y, m, 1), Date.UTC(y, m + 1, 1), `${y}_${String(m + 1).padStart(2, '0')}`];
}

/**
 * Candles in the month-partitioned `candles` table. Partitions are created on first use;
 * writing the same candle twice keeps the last version.
 *
 * @example
 * await candles.upsert(bars);
 * const month = await candles.range('BTC/USDT', 60_000, from, to);
 */
export class CandleRepository {
  readonly #partitions = new Set<string>();

  constructor(private readonly db: Kysely<Schema>) {}

  /** Inserts or replaces bars, in batches, creating the month partitions they need. */
  async upsert(bars: readonly Bar[]): Promise<void> {
    if (bars.length === 0) return;
    for (const b of bars) await this.#ensurePartition(b.openTime);
    for (let i = 0; i < bars.length; i += 1000) {
      const rows = bars.slice(i, i + 1000).map((b) => ({
        instrument_id: b.instrumentId,
        interval_ms: b.closeTime - b.openTime,
        open_time: b.openTime,
        open: String(b.open),
        high: String(b.high),
        low: String(b.low),
        close: String(b.close),
        volume: String(b.volume),
      }));
      await this.db
        .insertInto('candles')
        .values(rows)
        .onConflict((oc) =>
          oc.columns(['instrument_id', 'interval_ms', 'open_time']).doUpdateSet((eb) => ({
            open: eb.ref('excluded.open'),
            high: eb.ref('excluded.high'),
            low: eb.ref('excluded.low'),
            close: eb.ref('excluded.close'),
            volume: eb.ref('excluded.volume'),
          })),
        )
        .execute();
    }
  }

  /** Bars of one instrument and interval with `from ≤ openTime < to`, in time order. */
  async range(instrumentId: string, intervalMs: number, from: number, to: number): Promise<Bar[]> {
    const rows = await this.db
      .selectFrom('candles')
      .selectAll()
      .where('instrument_id', '=', instrumentId)
      .where('interval_ms', '=', intervalMs)
      .where('open_time', '>=', from)
      .where('open_time', '<', to)
      .orderBy('open_time')
      .execute();
    return rows.map(barOf);
  }

  /** The last `limit` bars of one instrument and interval, in time order. */
  async latest(instrumentId: string, intervalMs: number, limit: number): Promise<Bar[]> {
    const rows = await this.db
      .selectFrom('candles')
      .selectAll()
      .where('instrument_id', '=', instrumentId)
      .where('interval_ms', '=', intervalMs)
      .orderBy('open_time', 'desc')
      .limit(limit)
      .execute();
    return rows.reverse().map(barOf);
  }

  async #ensurePartition(t: number): Promise<void> {
    const [from, to, name] = monthOf(t);
    if (this.#partitions.has(name)) return;
    await sql`create table if not exists ${sql.id(`candles_${name}`)} partition of candles
      for values from (${sql.lit(from)}) to (${sql.lit(to)})`.execute(this.db);
    this.#partitions.add(name);
  }
}

/** A stored candle as a bar. */
function barOf(r: Selectable<CandlesTable>): Bar {
  return {
    instrumentId: r.instrument_id,
    openTime: Number(r.open_time),
    closeTime: Number(r.open_time) + Number(r.interval_ms),
    open: Number(r.open),
    high: Number(r.high),
    low: Number(r.low),
    close: Number(r.close),
    volume: Number(r.volume),
  };
}
