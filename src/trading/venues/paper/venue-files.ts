import { existsSync, readFileSync } from 'node:fs';
import type { SimulatedExchange } from '../../backtest/simulated-exchange.js';
import type { Bar } from '../../data/market-data.js';
import { orderFromJson, type OrderJson } from '../../model/order-json.js';

/** One change to the venue, as logged; `t`: the writer's fencing token (absent: 0). */
export type Change =
  | { readonly seq: number; readonly op: 'submit'; readonly order: OrderJson; readonly ts: number }
  | { readonly seq: number; readonly op: 'cancel'; readonly id: string; readonly ts: number }
  | { readonly seq: number; readonly op: 'bar'; readonly bar: Bar }
  | { readonly seq: number; readonly op: 'stored'; readonly fillsThrough: number };
export type Op = Change & { readonly t?: number };
/** A writer with fencing token `t` opened the venue: every later line of a smaller token is void. */
export interface FenceLine {
  readonly op: 'fence';
  readonly t: number;
}

/** The files of a paper venue whose state is in `file`. */
export interface VenueFiles {
  /** The snapshot: `{"seq":…,"state":…,"t":…}`, the exchange's state after op `seq`. */
  readonly snapshot: string;
  /**
   * The ops of a compaction in progress (the snapshot after them is being written): the log as
   * it was when the compaction began. Read before `log`; gone once the snapshot is in place.
   */
  readonly prev: string;
  /** The op log: every op since the snapshot (or since `prev`). */
  readonly log: string;
}

export const venueFiles = (file: string): VenueFiles => ({
  snapshot: file,
  prev: `${file}.prev.log`,
  log: `${file}.log`,
});

export const fenceLine = (t: number): FenceLine => ({ op: 'fence', t });

/**
 * The snapshot file's text: `JSON.stringify({ seq, state, t })` (no `t` when 0), the state's
 * text written in as the exchange gives it (not parsed into a copy and stringified again).
 */
export const snapshotText = (seq: number, stateJson: string, token: number): string =>
  `{"seq":${seq},"state":${stateJson}${token > 0 ? `,"t":${token}` : ''}}`;

export function applyOp(exchange: SimulatedExchange, op: Change): void {
  switch (op.op) {
    case 'submit':
      return exchange.submit(orderFromJson(op.order), op.ts);
    case 'cancel':
      return exchange.cancel(op.id, op.ts);
    case 'bar':
      return exchange.onBar(op.bar);
    case 'stored':
      return exchange.confirmStored(op.fillsThrough);
  }
}

/** What loading the files gave: the last op's number, the fence then, the ops since the snapshot. */
export interface Loaded {
  readonly seq: number;
  readonly fence: number;
  readonly replayed: number;
  readonly snapshotBytes: number;
}

/**
 * Loads a venue's files into a fresh `exchange`: the snapshot, then the lines of `logs` in
 * order (a venue's: its moved log, then its log), by the fencing rules: a line whose token is
 * smaller than a fence or an op before it is void; an op already in the snapshot is skipped.
 * `beforeOp(seq)` runs before op `seq` is applied (and before the snapshot after op `seq` is
 * restored).
 */
export function loadVenue(
  exchange: SimulatedExchange,
  snapshot: string,
  logs: readonly string[],
  beforeOp: (seq: number) => void = () => undefined,
): Loaded {
  let seq = 0;
  let fence = 0;
  let snapshotBytes = 0;
  if (existsSync(snapshot)) {
    const bytes = readFileSync(snapshot);
    snapshotBytes = bytes.length;
    const snap = JSON.parse(bytes.toString('utf8')) as Snapshot;
    beforeOp(snap.seq);
    exchange.restore(snap.state);
    seq = snap.seq;
    fence = snap.t ?? 0;
  }
  let replayed = 0;
  for (const line of logs.flatMap(readLines)) {
    if (line.op === 'fence') {
      fence = Math.max(fence, line.t);
      continue;
    }
    // A stale writer's op (its lease was taken since): void. A newer writer's fences too.
    if ((line.t ?? 0) < fence) continue;
    fence = line.t ?? 0;
    if (line.seq <= seq) continue; // already in the snapshot
    beforeOp(line.seq);
    applyOp(exchange, line);
    seq = line.seq;
    replayed++;
  }
  return { seq, fence, replayed, snapshotBytes };
}

/** The snapshot file: the exchange's state after the op numbered `seq`, and the fence then. */
interface Snapshot {
  readonly seq: number;
  readonly state: Parameters<SimulatedExchange['restore']>[0];
  readonly t?: number;
}

/** The largest fencing token in the venue's files: the snapshot's and every logged line's. */
export function newestToken(files: VenueFiles): number {
  let newest = snapshotToken(files.snapshot);
  for (const line of [...readLines(files.prev), ...readLines(files.log)])
    newest = Math.max(newest, line.t ?? 0);
  return newest;
}

/** The fencing token of the snapshot file (0: none, or no snapshot). */
function snapshotToken(file: string): number {
  return existsSync(file) ? ((JSON.parse(readFileSync(file, 'utf8')) as Snapshot).t ?? 0) : 0;
}

/** The logged lines; a last line cut short by a crash (never answered) is dropped. */
function readLines(file: string): (Op | FenceLine)[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  const ops: (Op | FenceLine)[] = [];
  for (const [i, line] of lines.entries()) {
    if (line === '') continue;
    try {
      ops.push(JSON.parse(line) as Op | FenceLine);
    } catch (e) {
      if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l !== '')) throw e;
    }
  }
  return ops;
}
