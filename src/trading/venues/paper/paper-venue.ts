import {
  appendFileSync,
  closeSync,
  linkSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
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
import { instrumentToJson, type Instrument, type InstrumentJson } from '../../model/instrument.js';
import type { Order } from '../../model/order.js';
import type { OrderEvent } from '../../model/order-events.js';
import type { OrderJson } from '../../model/order-json.js';
import { KairosError } from '../../core/errors.js';
import { compactInWorker, type RunningCompaction } from './compaction.js';
import {
  applyOp,
  fenceLine,
  loadVenue,
  newestToken,
  snapshotText,
  venueFiles,
  type Change,
  type Op,
  type VenueFiles,
} from './venue-files.js';

/** Who writes the venue: the fencing token of its lease (`PaperVenueWriter`). */
export interface PaperVenueWriter {
  /** The token of the lease under which this process writes the venue (grows with each owner). */
  readonly token: number;
}

/** How a paper venue compacts. */
export interface PaperVenueSettings {
  /**
   * Builds and writes each snapshot in a worker thread, off the event loop (a server's venue:
   * at tens of thousands of orders one snapshot is most of a second of CPU). Default: on the
   * event loop, within the op that compacts (tools and tests that read the files right after).
   */
  readonly compactOffThread?: boolean;
  /**
   * With `compactOffThread`: the size the last snapshot must have reached (bytes, default 512 KiB)
   * before the next one is built off the loop. A smaller state is written on the loop in a few
   * milliseconds, less than starting a thread costs.
   */
  readonly offThreadFromBytes?: number;
  /**
   * The fewest ops between snapshots (default 2,000): bounds how often a small state is written.
   * Tests set fewer, to see several compactions in a short run.
   */
  readonly compactEvery?: number;
}

/** A compaction in a worker. */
interface Compaction {
  readonly running: RunningCompaction;
  /** Settles once the snapshot is in place, or given up (its temp file removed). */
  readonly ended: Promise<void>;
}

let compactions = 0;

/**
 * An op's log line: `JSON.stringify(op)` and a newline. A submit's order is written from its
 * text (`orderText`, its JSON already made), not stringified a second time: the same bytes, its
 * keys in the op's order (`seq`, `op`, `order`, `ts`, then the token `t`).
 */
function opLine(op: Op, orderText: string | undefined): string {
  if (op.op !== 'submit' || orderText === undefined) return `${JSON.stringify(op)}\n`;
  const str = JSON.stringify;
  const t = op.t === undefined ? '' : `,"t":${str(op.t)}`;
  return `{"seq":${str(op.seq)},"op":"submit","order":${orderText},"ts":${str(op.ts)}${t}}\n`;
}

/**
 * The paper venue: the simulated exchange, with its state kept on disk so it survives restarts
 * of the trading node (and can be reconciled against, like a real venue). Like a real venue it
 * commits before it answers: every call is appended to an op log (`<file>.log`) before its
 * reports are delivered. On start the last snapshot (`<file>`) is loaded and the log replayed
 * (the simulated exchange is deterministic). Once the log holds at least 2,000 ops and is as
 * large as the snapshot, a new snapshot is written atomically (temp file and rename) and the log
 * starts again: the state grows with the run (every trade, and the orders closed in the last
 * `closedRetentionMs` of market time, stay queryable), so a snapshot every 2,000 ops
 * would cost more per op the longer the venue runs; this way writing snapshots costs a fixed
 * share of what the log writes, and a start reads at most twice the snapshot's size.
 *
 * With `compactOffThread`, the op that compacts only moves the log aside (`<file>.prev.log`, a
 * hard link and an unlink: the new log starts empty) and a worker thread builds the snapshot
 * after that op from the files, replaying them as a restart would; when it is written, the venue
 * renames it into place and removes the moved log. Readers read the snapshot, the moved log and
 * the log, in that order, so every moment of a compaction reads back the same state. If the
 * worker fails, the next op compacts on the event loop (docs/decisions/paper-venue-compaction.md).
 *
 * Several processes may open one venue file in turn (the instances of `kairos serve`, each while
 * it holds the account's lease): given a `writer`, the venue is fenced by the lease's token, as
 * the journal is in the database. Opening appends a fence line with the token before reading, and
 * each op carries it; a reader voids every line whose token is smaller than a fence or an op
 * before it. So an owner that lost its lease (paused, or starved past the TTL) and appends a bar
 * or an order afterwards changes nothing any later owner loads: its op can neither take the
 * sequence number of the new owner's next op nor reach the venue's record. It also never
 * compacts the file over the new owner's (it finds the newer fence first and refuses:
 * `LEASE_LOST`; a snapshot a worker built is checked again before it is renamed into place).
 *
 * The op log stays open (one file descriptor) until `close()`, which whoever built the venue
 * calls once its account stops trading; an op after that is refused (`VENUE_CLOSED`), never
 * written, and a compaction in progress is given up. Its queries still answer from the state in
 * memory.
 *
 * @example
 * const venue = new PaperVenue('var/paper/venue.json', { venue: 'PAPER', instruments }, (e) => exec.process(e));
 */
export class PaperVenue implements ExecutionClient, VenueQueries {
  readonly #exchange: SimulatedExchange;
  readonly #buffer: OrderEvent[] = [];
  readonly #files: VenueFiles;
  #seq = 0;
  /** Ops since the snapshot in place (the moved log's included). */
  #sinceSnapshot = 0;
  /** Bytes in the log and in the moved log (null: none) as this writer left them, and in the snapshot. */
  #logSize = 0;
  #prevSize: number | null = null;
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
  /**
   * The snapshot file (null: none) as it was when this writer last found no newer token in the
   * files, or the one its last compaction renamed into place; undefined: not known yet.
   */
  #clean: BigIntStats | null | undefined = undefined;
  readonly #offThread: boolean;
  readonly #offThreadFrom: number;
  readonly #compactEvery: number;
  #compacting: Compaction | null = null;
  /** What a worker needs to rebuild the state: the options, and each `setInstrument` since. */
  readonly #options: SimulatedExchangeOptions;
  readonly #instrumentChanges: { after: number; instrument: InstrumentJson }[] = [];

  constructor(
    private readonly file: string,
    options: SimulatedExchangeOptions,
    private readonly deliver: (event: OrderEvent) => void,
    writer?: PaperVenueWriter,
    settings: PaperVenueSettings = {},
  ) {
    this.#files = venueFiles(file);
    this.#options = options;
    this.#offThread = settings.compactOffThread ?? false;
    this.#offThreadFrom = settings.offThreadFromBytes ?? 512 * 1024;
    this.#compactEvery = settings.compactEvery ?? 2_000;
    this.#exchange = new SimulatedExchange(options, (e) => this.#buffer.push(e));
    mkdirSync(path.dirname(file), { recursive: true });
    // The fence first, then the read: whatever a previous owner appends after it is void.
    if (writer) appendFileSync(this.#files.log, `${JSON.stringify(fenceLine(writer.token))}\n`);
    const { snapshot, prev, log } = this.#files;
    const loaded = loadVenue(this.#exchange, snapshot, [prev, log]);
    this.#seq = loaded.seq;
    this.#sinceSnapshot = loaded.replayed;
    this.#snapshotSize = loaded.snapshotBytes;
    this.#logSize = statSync(this.#files.log, { throwIfNoEntry: false })?.size ?? 0;
    this.#prevSize = statSync(this.#files.prev, { throwIfNoEntry: false })?.size ?? null;
    this.#token = writer?.token ?? loaded.fence;
    this.#buffer.length = 0; // replayed reports were delivered before the restart
  }

  /** The venue's whole state (fault tests compare the node against it). */
  state(): SimulatedExchangeState {
    return this.#exchange.snapshot();
  }

  /** An instrument it matches from now on, or its new rules (working orders keep theirs). */
  setInstrument(inst: Instrument): void {
    this.#exchange.setInstrument(inst);
    this.#instrumentChanges.push({ after: this.#seq, instrument: instrumentToJson(inst) });
  }

  submit(order: Order, ts: number): void {
    // The order's JSON is made once: the op's line carries this text as it is, and the exchange
    // gets the order parsed back from it, as a restart replaying the line does.
    const text = JSON.stringify(order);
    const change: Change = {
      seq: this.#seq + 1,
      op: 'submit',
      order: JSON.parse(text) as OrderJson,
      ts,
    };
    this.#record(change, text);
  }

  cancel(clientOrderId: string, ts: number): void {
    this.#record({ seq: this.#seq + 1, op: 'cancel', id: clientOrderId, ts });
  }

  /** Matches working orders against a bar (a bar already seen is ignored). */
  onBar(bar: Bar): void {
    this.#record({ seq: this.#seq + 1, op: 'bar', bar });
  }

  /**
   * The node's store holds every report given so far and the trades before `fillsThrough` it will
   * read (`SimulatedExchange.confirmStored`), logged as an op: what the venue held only for such a
   * node is released.
   */
  confirmStored(fillsThrough: number): void {
    this.#record({ seq: this.#seq + 1, op: 'stored', fillsThrough });
  }

  /** What the venue holds of closed orders and trades (a diagnostic). */
  get held(): SimulatedExchange['held'] {
    return this.#exchange.held;
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

  /**
   * Settles once no compaction is in progress: the one running (`compactOffThread`) has put its
   * snapshot in place or been given up, and its thread has ended. Never rejects. Its worker keeps
   * the process alive only while someone waits here (else a process may exit mid-compaction).
   */
  settled(): Promise<void> {
    const compacting = this.#compacting;
    if (compacting === null) return Promise.resolve();
    compacting.running.ref();
    return compacting.ended;
  }

  /**
   * Closes the op log; from now on every op is refused (`VENUE_CLOSED`), and a compaction in
   * progress is given up (its worker ended, its temp file removed; the files read back as they
   * are). Idempotent.
   */
  close(): void {
    this.#closed = true;
    this.#compacting?.running.stop();
    if (this.#logFd === null) return;
    const fd = this.#logFd;
    this.#logFd = null;
    closeSync(fd);
  }

  /**
   * Applies an op, makes it durable (log, or a new snapshot), then delivers its reports.
   * `orderText`: a submit's order as `JSON.stringify` wrote it, written into the op's line.
   */
  #record(change: Change, orderText?: string): void {
    if (this.#closed)
      throw new KairosError(
        'VENUE_CLOSED',
        `paper venue ${this.file}: closed; its ${change.op} was not recorded`,
      );
    // Object.assign, not a spread: on Node 20 a spread that adds a key costs microseconds.
    const op: Op = this.#token > 0 ? Object.assign({}, change, { t: this.#token }) : change;
    const compact =
      this.#compacting === null &&
      this.#sinceSnapshot + 1 >= this.#compactEvery &&
      this.#logSize + (this.#prevSize ?? 0) >= this.#snapshotSize;
    // A snapshot replaces the log: never over a newer owner's (its fence is in the log, or in
    // the snapshot it wrote). A bar is dropped; an order or a cancel is refused, not sent.
    if (compact && this.#token > 0) {
      const newer = this.#newestToken();
      if (newer > this.#token) {
        if (change.op === 'bar' || change.op === 'stored') return;
        throw new KairosError(
          'LEASE_LOST',
          `paper venue ${this.file}: written under token ${newer} since; this writer's token ${this.#token} is stale`,
        );
      }
    }
    applyOp(this.#exchange, op);
    this.#seq = op.seq;
    // Off the loop once the state is large, unless a moved log is left from before (a worker
    // that failed, a process that ended mid-compaction): this op's snapshot then replaces both.
    const offLoop =
      this.#offThread && this.#prevSize === null && this.#snapshotSize >= this.#offThreadFrom;
    if (compact && !offLoop) this.#compactOnLoop();
    else {
      this.#sinceSnapshot++;
      this.#logSize += this.#append(opLine(op, orderText));
      if (compact) this.#compactOffLoop();
    }
    const events = this.#buffer.splice(0);
    for (const e of events) this.deliver(e);
  }

  /** Writes the snapshot after the last op (not logged) and empties the logs. */
  #compactOnLoop(): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    const bytes = Buffer.from(snapshotText(this.#seq, this.#exchange.snapshotJson(), this.#token));
    writeFileSync(tmp, bytes);
    // Stated before the rename: after it, the name may already be a newer owner's file.
    const written = statSync(tmp, { bigint: true });
    renameSync(tmp, this.file);
    rmSync(this.#files.prev, { force: true });
    writeFileSync(this.#files.log, '');
    this.#sinceSnapshot = 0;
    this.#snapshotSize = bytes.length;
    this.#logSize = 0;
    this.#prevSize = null;
    this.#clean = written;
  }

  /**
   * Moves the log (which ends with the last op) aside and starts a worker on the snapshot after
   * that op. The link fails only if a moved log appeared since the check (another writer's):
   * then this op's snapshot is written on the loop.
   */
  #compactOffLoop(): void {
    const { log, prev } = this.#files;
    try {
      linkSync(log, prev);
    } catch {
      this.#compactOnLoop();
      return;
    }
    // The next op opens the new log.
    if (this.#logFd !== null) closeSync(this.#logFd);
    this.#logFd = null;
    const seq = this.#seq;
    const tmp = `${this.file}.${process.pid}.${++compactions}.tmp`;
    let running: RunningCompaction;
    try {
      unlinkSync(log);
      running = compactInWorker({
        files: this.#files,
        seq,
        token: this.#token,
        tmp,
        options: { ...this.#options, instruments: this.#options.instruments.map(instrumentToJson) },
        changes: this.#instrumentChanges,
      });
    } catch {
      // No worker (or the log is under both names, which reads back the same): on the loop.
      this.#compactOnLoop();
      return;
    }
    this.#prevSize = this.#logSize;
    this.#logSize = 0;
    const ended = running.done.then(
      (size) => this.#ended(seq, tmp, size),
      () => this.#ended(seq, tmp, null),
    );
    this.#compacting = { running, ended };
  }

  /**
   * A worker's snapshot (its size, or null: it failed or was stopped) is renamed into place,
   * unless the venue was closed since or a newer owner wrote the files: then it is removed, and
   * the moved log stays (the next op here compacts on the loop, or is refused).
   */
  #ended(seq: number, tmp: string, size: number | null): void {
    this.#compacting = null;
    try {
      if (size === null || this.#closed) return;
      if (this.#token > 0 && this.#newestToken() > this.#token) return;
      // Stated before the rename: after it, the name may already be a newer owner's file.
      const written = statSync(tmp, { bigint: true });
      renameSync(tmp, this.file);
      rmSync(this.#files.prev, { force: true });
      this.#sinceSnapshot = this.#seq - seq;
      this.#snapshotSize = size;
      this.#prevSize = null;
      this.#clean = written;
    } catch {
      // Not in place (the files read back as they are); the next op compacts on the loop.
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  /**
   * The largest fencing token on file: the snapshot's and every logged line's. Read back only
   * when the files may hold another writer's: not when the snapshot is the one this writer last
   * found clean or renamed into place (same inode, size and modification time; another writer's
   * compaction renames a file of its own there) and the logs are as long as this writer left
   * them (another writer's fence or op makes one longer; its compaction, which empties or moves
   * the log, renames its snapshot first or leaves a moved log this writer does not expect, and
   * the logs are stated before the snapshot). A compaction then does not parse the whole
   * snapshot and logs again.
   */
  #newestToken(): number {
    const { snapshot, prev, log } = this.#files;
    const logSize = statSync(log, { throwIfNoEntry: false })?.size ?? 0;
    const prevSize = statSync(prev, { throwIfNoEntry: false })?.size ?? null;
    const snap = statSync(snapshot, { bigint: true, throwIfNoEntry: false }) ?? null;
    const known = this.#clean;
    if (
      known !== undefined &&
      logSize === this.#logSize &&
      prevSize === this.#prevSize &&
      (snap === null
        ? known === null
        : known !== null &&
          snap.ino === known.ino &&
          snap.size === known.size &&
          snap.mtimeNs === known.mtimeNs)
    )
      return this.#token;
    const newest = newestToken(this.#files);
    if (newest <= this.#token) {
      // As read: the next check reads back only what changes after this one.
      this.#clean = snap;
      this.#logSize = logSize;
      this.#prevSize = prevSize;
    }
    return newest;
  }

  /**
   * Appends `line` to the op log, whole (a short write goes on from where it stopped); answers
   * its size in bytes.
   */
  #append(line: string): number {
    this.#logFd ??= openSync(this.#files.log, 'a');
    const size = Buffer.byteLength(line);
    // The text as it is (no Buffer made an op); a short write goes on from its bytes.
    const done = writeSync(this.#logFd, line);
    // Stryker disable next-line ConditionalExpression,EqualityOperator,BlockStatement: a short write to a local file cannot be made in a test; `<=` is equivalent (nothing left to write)
    if (done < size) {
      const bytes = Buffer.from(line);
      for (let at = done; at < size;) at += writeSync(this.#logFd, bytes, at);
    }
    return size;
  }
}
