import type { LoggedEvent, Replay } from '../scalability/bus/event-log.js';

interface Cursor {
  /** The last sequence pushed to the client. */
  seq: number;
  /** While a resume reads the log, live frames wait for it (the resume pushes them). */
  replaying: boolean;
}

/** What a resume reads and where it pushes. */
export interface ResumeSource {
  read(channel: string, afterSeq: number, limit: number): Promise<Replay>;
  /** The last sequence this instance has handed on live for `channel`. */
  pushed(channel: string): number;
  push(e: LoggedEvent): void;
}

/**
 * One WebSocket client's place in each event-log channel it gets frames of, per subscription
 * kind (`orders`, `positions`…): a frame is pushed once, in order, whether it comes live, twice,
 * or from a resume that overlaps the live frames (`docs/api.md`, "Sequences and resume").
 *
 * @example
 * const cursors = new ClientCursors();
 * cursors.startAfter('orders', 'ws:acct-1', 17);
 * cursors.offer('orders', 'ws:acct-1', 18); // true: push it
 * cursors.offer('orders', 'ws:acct-1', 18); // false: already pushed
 */
export class ClientCursors {
  readonly #cursors = new Map<string, Cursor>();

  /** Live frames of `channel` for `kind` are pushed after `seq`. */
  startAfter(kind: string, channel: string, seq: number): void {
    this.#cursors.set(key(kind, channel), { seq, replaying: false });
  }

  /** Holds live frames of `channel` for `kind` back (a snapshot is being read; a resume follows). */
  hold(kind: string, channel: string, seq: number): void {
    this.#cursors.set(key(kind, channel), { seq, replaying: true });
  }

  /** Forgets every channel of `kind` (unsubscribed). */
  drop(kind: string): void {
    for (const k of [...this.#cursors.keys()])
      if (k.startsWith(`${kind}\n`)) this.#cursors.delete(k);
  }

  /**
   * Whether a live frame `seq` of `channel` is pushed for `kind` (and, if so, it is recorded).
   * A channel the client had no place in yet (an account opened since it subscribed) starts here.
   */
  offer(kind: string, channel: string, seq: number): boolean {
    const k = key(kind, channel);
    const c = this.#cursors.get(k);
    if (!c) {
      this.#cursors.set(k, { seq, replaying: false });
      return true;
    }
    if (c.replaying || seq <= c.seq) return false;
    c.seq = seq;
    return true;
  }

  /**
   * Pushes the frames of `channel` after `after` from the log, then hands the channel to the
   * live frames at the sequence reached: none missed, none twice. Answers false when the log no
   * longer keeps the frame after `after` (nothing pushed, live frames still held back: the caller
   * sends a snapshot, then places the channel).
   */
  async resume(
    kind: string,
    channel: string,
    after: number,
    src: ResumeSource,
    batch = 500,
  ): Promise<boolean> {
    const k = key(kind, channel);
    const cur: Cursor = { seq: after, replaying: true };
    this.#cursors.set(k, cur);
    for (;;) {
      const r = await src.read(channel, cur.seq, batch);
      // Unsubscribed (or resumed again) meanwhile: this resume is over.
      if (this.#cursors.get(k) !== cur) return true;
      // Still held: the caller sends a snapshot and places the channel after it.
      if (r.truncated) return false;
      for (const e of r.events) {
        if (e.seq <= cur.seq) continue;
        cur.seq = e.seq;
        src.push(e);
      }
      // Caught up with what was handed on live (checked in this same tick, after the read: a
      // frame handed on while it was under way was skipped here and is read next time).
      if (r.events.length < batch && cur.seq >= src.pushed(channel)) {
        cur.replaying = false;
        return true;
      }
    }
  }
}

const key = (kind: string, channel: string) => `${kind}\n${channel}`;
