import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
  writeSync,
  type BigIntStats,
} from 'node:fs';
import path from 'node:path';
import {
  SimulatedExchange,
  type SimulatedExchangeOptions,
  type SimulatedExchangeState,
} from '../../backtest/simulated-exchange.js';
import type { Bar } from '../../data/market-data.js';
import type { ExecutionClient } from '../../execution/execution-client.js';
import type { VenueOrderReport, VenueQueries } from '../../execution/venue-queries.js';
import type { Fill } from '../../model/fill.js';
import type { Instrument } from '../../model/instrument.js';
import type { Order } from '../../model/order.js';
import type { OrderEvent } from '../../model/order-events.js';
import { orderFromJson, orderToJson, type OrderJson } from '../../model/order-json.js';
import { KairosError } from '../../core/errors.js';

/** One change to the venue, as logged; `t`: the writer's fencing token (absent: 0). */
type Change =
  | { readonly seq: number; readonly op: 'submit'; readonly order: OrderJson; readonly ts: number }
  | { readonly seq: number; readonly op: 'cancel'; readonly id: string; readonly ts: number }
  | { readonly seq: number; readonly op: 'bar'; readonly bar: Bar };
type Op = Change & { readonly t?: number };
/** A writer with fencing token `t` opened the venue: every later line of a smaller token is void. */
interface FenceLine {
  readonly op: 'fence';
  readonly t: number;
}

/** The snapshot file: the exchange's state after the op numbered `seq`, and the fence then. */
interface Snapshot {
  readonly seq: number;
  readonly state: SimulatedExchangeState;
  readonly t?: number;
}

/** Who writes the venue: the fencing token of its lease (`PaperVenueWriter`). */
export interface PaperVenueWriter {
  /** The token of the lease under which this process writes the venue (grows with each owner). */
  readonly token: number;
}

/** The fewest ops between snapshots: bounds how often a small state is written. */
const COMPACT_EVERY = 2_000;

/**
 * The paper venue: the simulated exchange, with its state kept on disk so it survives restarts
 * of the trading node (and can be reconciled against, like a real venue). Like a real venue it
 * commits before it answers: every call is appended to an op log (`<file>.log`) before its
 * reports are delivered. On start the last snapshot (`<file>`) is loaded and the log replayed
 * (the simulated exchange is deterministic). Once the log holds at least 2,000 ops and is as
 * large as the snapshot, a new snapshot is written atomically (temp file and rename) and the log
 * starts again: the state only grows (every order stays queryable), so a snapshot every 2,000 ops
 * would cost more per op the longer the venue runs; this way writing snapshots costs a fixed
 * share of what the log writes, and a start reads at most twice the snapshot's size.
 *
 * Several processes may open one venue file in turn (the instances of `kairos serve`, each while
 * it holds the account's lease): given a `writer`, the venue is fenced by the lease's token, as
 * the journal is in the database. Opening appends a fence line with the token before reading, and
 * each op carries it; a reader voids every line whose token is smaller than a fence or an op
 * before it. So an owner that lost its lease (paused, or starved past the TTL) and appends a bar
 * or an order afterwards changes nothing any later owner loads: its op can neither take the
 * sequence number of the new owner's next op nor reach the venue's record. It also never
 * compacts the file over the new owner's (it finds the newer fence first and refuses:
 * `LEASE_LOST`).
 *
 * The op log stays open (one file descriptor) until `close()`, which whoever built the venue
 * calls once its account stops trading; an op after that is refused (`VENUE_CLOSED`), never
 * written. Its queries still answer from the state in memory.
 *
 * @example
 * const venue = new PaperVenue('var/paper/venue.json', { venue: 'PAPER', instruments }, (e) => exec.process(e));
 */
export class PaperVenue implements ExecutionClient, VenueQueries {
  readonly #exchange: SimulatedExchange;
  readonly #buffer: OrderEvent[] = [];
  readonly #log: string;
  #seq = 0;
  #sinceSnapshot = 0;
  /** Bytes in the log and in the snapshot: when to compact. */
  #logSize = 0;
  #snapshotSize = 0;
  /** The token this process writes with (no writer: the file's own, as the only writer). */
  readonly #token: number;
  /**
   * The op log, open for appending from the first op on: one write a op instead of an open, a
   * write and a close. Every write goes to the file's end (O_APPEND), after another owner's
   * fence or ops and after a compaction's truncation alike, as `appendFileSync` did.
   */
  #logFd: number | null = null;
  #closed = false;
  /** The snapshot file this writer's last compaction put in place (null: none yet). */
  #compacted: BigIntStats | null = null;

  constructor(
    private readonly file: string,
    options: SimulatedExchangeOptions,
    private readonly deliver: (event: OrderEvent) => void,
    writer?: PaperVenueWriter,
  ) {
    this.#log = `${file}.log`;
    this.#exchange = new SimulatedExchange(options, (e) => this.#buffer.push(e));
    mkdirSync(path.dirname(file), { recursive: true });
    // The fence first, then the read: whatever a previous owner appends after it is void.
    if (writer) appendFileSync(this.#log, `${JSON.stringify(fenceLine(writer.token))}\n`);
    let fence = 0;
    if (existsSync(file)) {
      const bytes = readFileSync(file);
      this.#snapshotSize = bytes.length;
      const snap = JSON.parse(bytes.toString('utf8')) as Snapshot;
      this.#exchange.restore(snap.state);
      this.#seq = snap.seq;
      fence = snap.t ?? 0;
    }
    if (existsSync(this.#log)) {
      for (const line of readLines(this.#log)) {
        if (line.op === 'fence') {
          fence = Math.max(fence, line.t);
          continue;
        }
        // A stale writer's op (its lease was taken since): void. A newer writer's fences too.
        if ((line.t ?? 0) < fence) continue;
        fence = line.t ?? 0;
        if (line.seq <= this.#seq) continue; // already in the snapshot
        this.#apply(line);
        this.#seq = line.seq;
        this.#sinceSnapshot++;
      }
      this.#logSize = statSync(this.#log).size;
    }
    this.#token = writer?.token ?? fence;
    this.#buffer.length = 0; // replayed reports were delivered before the restart
  }

  /** The venue's whole state (fault tests compare the node against it). */
  state(): SimulatedExchangeState {
    return this.#exchange.snapshot();
  }

  /** An instrument it matches from now on, or its new rules (working orders keep theirs). */
  setInstrument(inst: Instrument): void {
    this.#exchange.setInstrument(inst);
  }

  submit(order: Order, ts: number): void {
    this.#record({ seq: this.#seq + 1, op: 'submit', order: orderToJson(order), ts });
  }

  cancel(clientOrderId: string, ts: number): void {
    this.#record({ seq: this.#seq + 1, op: 'cancel', id: clientOrderId, ts });
  }

  /** Matches working orders against a bar (a bar already seen is ignored). */
  onBar(bar: Bar): void {
    this.#record({ seq: this.#seq + 1, op: 'bar', bar });
  }

  orderByClientId(clientOrderId: string): Promise<VenueOrderReport | null> {
    return this.#exchange.orderByClientId(clientOrderId);
  }

  openOrders(): Promise<readonly VenueOrderReport[]> {
    return this.#exchange.openOrders();
  }

  tradesSince(ts: number): Promise<readonly Fill[]> {
    return this.#exchange.tradesSince(ts);
  }

  /** Closes the op log; from now on every op is refused (`VENUE_CLOSED`). Idempotent. */
  close(): void {
    this.#closed = true;
    if (this.#logFd === null) return;
    const fd = this.#logFd;
    this.#logFd = null;
    closeSync(fd);
  }

  #apply(op: Change): void {
    switch (op.op) {
      case 'submit':
        return this.#exchange.submit(orderFromJson(op.order), op.ts);
      case 'cancel':
        return this.#exchange.cancel(op.id, op.ts);
      case 'bar':
        return this.#exchange.onBar(op.bar);
    }
  }

  /** Applies an op, makes it durable (log, or a new snapshot), then delivers its reports. */
  #record(change: Change): void {
    if (this.#closed)
      throw new KairosError(
        'VENUE_CLOSED',
        `paper venue ${this.file}: closed; its ${change.op} was not recorded`,
      );
    // Object.assign, not a spread: on Node 20 a spread that adds a key costs microseconds.
    const op: Op = this.#token > 0 ? Object.assign({}, change, { t: this.#token }) : change;
    const compact = this.#sinceSnapshot + 1 >= COMPACT_EVERY && this.#logSize >= this.#snapshotSize;
    // A snapshot replaces the log: never over a newer owner's (its fence is in the log, or in
    // the snapshot it wrote). A bar is dropped; an order or a cancel is refused, not sent.
    if (compact && this.#token > 0) {
      const newer = this.#newestToken();
      if (newer > this.#token) {
        if (change.op === 'bar') return;
        throw new KairosError(
          'LEASE_LOST',
          `paper venue ${this.file}: written under token ${newer} since; this writer's token ${this.#token} is stale`,
        );
      }
    }
    this.#apply(op);
    this.#seq = op.seq;
    if (compact) {
      const tmp = `${this.file}.${process.pid}.tmp`;
      // A `Snapshot` as JSON, the state's text written in as the exchange gives it (not parsed
      // into a copy and stringified again: at tens of thousands of orders that was most of a
      // compaction's stall). The same bytes as `JSON.stringify` of the object.
      const bytes = Buffer.from(
        `{"seq":${this.#seq},"state":${this.#exchange.snapshotJson()}${this.#token > 0 ? `,"t":${this.#token}` : ''}}`,
      );
      writeFileSync(tmp, bytes);
      // Stated before the rename: after it, the name may already be a newer owner's file.
      const written = statSync(tmp, { bigint: true });
      renameSync(tmp, this.file);
      writeFileSync(this.#log, '');
      this.#sinceSnapshot = 0;
      this.#snapshotSize = bytes.length;
      this.#logSize = 0;
      this.#compacted = written;
    } else {
      this.#sinceSnapshot++;
      this.#logSize += this.#append(`${JSON.stringify(op)}\n`);
    }
    const events = this.#buffer.splice(0);
    for (const e of events) this.deliver(e);
  }

  /**
   * The largest fencing token on file: the snapshot's and every logged line's. Read back only
   * when the files may hold another writer's: not when the snapshot is the file this writer's
   * last compaction renamed into place (same inode, size and modification time; another
   * writer's compaction renames a file of its own there) and the log is as long as what this
   * writer appended since (another writer's fence or op makes it longer; its compaction, which
   * truncates the log, renames its snapshot first, and the log is stated before the snapshot).
   * A compaction then does not parse the whole snapshot and log again.
   */
  #newestToken(): number {
    const mine = this.#compacted;
    if (mine !== null) {
      const log = statSync(this.#log, { throwIfNoEntry: false });
      const snap =
        log?.size === this.#logSize && statSync(this.file, { bigint: true, throwIfNoEntry: false });
      if (snap && snap.ino === mine.ino && snap.size === mine.size && snap.mtimeNs === mine.mtimeNs)
        return this.#token;
    }
    let newest = snapshotToken(this.file);
    for (const line of readLines(this.#log)) newest = Math.max(newest, line.t ?? 0);
    return newest;
  }

  /**
   * Appends `line` to the op log, whole (a short write goes on from where it stopped); answers
   * its size in bytes.
   */
  #append(line: string): number {
    this.#logFd ??= openSync(this.#log, 'a');
    const bytes = Buffer.from(line);
    for (let at = 0; at < bytes.length;) at += writeSync(this.#logFd, bytes, at);
    return bytes.length;
  }
}

const fenceLine = (t: number): FenceLine => ({ op: 'fence', t });

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
