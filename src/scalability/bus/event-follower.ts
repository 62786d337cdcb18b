import type { EventLog, LoggedEvent } from './event-log.js';

interface ChannelState {
  /** The last sequence delivered. */
  pushed: number;
  /** Events waiting behind a gap being read. */
  busy: number;
  chain: Promise<void>;
}

/** What an `EventFollower` is told besides the events. */
export interface FollowerOptions {
  /** Events read per `read` when a gap is filled (default 500). */
  readonly batch?: number;
  /**
   * Events `from`..`to` of `channel` are lost to this follower (no longer kept, or the log did
   * not answer): the consumers' frames jump over them.
   */
  readonly onGap?: (channel: string, from: number, to: number, cause?: unknown) => void;
}

/**
 * Follows a changing set of an `EventLog`'s channels and hands each event to `onEvent` exactly
 * once, in each channel's order, whatever the log's follower does: an event seen twice (a
 * follower restarted, two followers overlapping) is handed once, and a gap (an event the
 * follower skipped) is read from the log before the event after it.
 *
 * @example
 * const follower = new EventFollower(log, (e) => fanOut(e));
 * await follower.follow(['ws:acct-1']); // from the channel's last sequence on
 */
export class EventFollower {
  readonly #states = new Map<string, ChannelState>();
  #stop: (() => Promise<void>) | null = null;
  #changing: Promise<void> = Promise.resolve();
  #closed = false;
  readonly #batch: number;

  constructor(
    private readonly log: EventLog,
    private readonly onEvent: (e: LoggedEvent) => void,
    private readonly opts: FollowerOptions = {},
  ) {
    this.#batch = opts.batch ?? 500;
  }

  /** The last sequence handed on for `channel` (undefined: not followed). */
  pushed(channel: string): number | undefined {
    return this.#states.get(channel)?.pushed;
  }

  /** Whether `channel` is followed. */
  has(channel: string): boolean {
    return this.#states.has(channel);
  }

  /** The channels followed. */
  channels(): string[] {
    return [...this.#states.keys()];
  }

  /**
   * Follows exactly `channels` from now on. A channel not followed yet starts after
   * `startAfter(channel)` when that gives a number, else after its last sequence now. After
   * `close`, nothing: a change asked late (an append answered after the close) must not start
   * a log follower nobody stops, whose connection would keep the process alive.
   */
  follow(
    channels: Iterable<string>,
    startAfter: (channel: string) => number | undefined = () => undefined,
  ): Promise<void> {
    const wanted = new Set(channels);
    // One change at a time: each restarts the log's follower on the new set.
    const next = this.#changing.then(() => this.#change(wanted, startAfter));
    this.#changing = next.catch(() => undefined);
    return next;
  }

  async #change(
    wanted: ReadonlySet<string>,
    startAfter: (channel: string) => number | undefined,
  ): Promise<void> {
    if (this.#closed) return;
    const added = [...wanted].filter((c) => !this.#states.has(c));
    const removed = [...this.#states.keys()].filter((c) => !wanted.has(c));
    if (added.length === 0 && removed.length === 0) return;
    const starts = await Promise.all(
      added.map(async (c) => startAfter(c) ?? (await this.log.last(c))),
    );
    added.forEach((c, i) =>
      this.#states.set(c, { pushed: starts[i]!, busy: 0, chain: Promise.resolve() }),
    );
    for (const c of removed) this.#states.delete(c);
    const old = this.#stop;
    // The new follower starts where each channel was handed on to: nothing falls in between.
    const from = new Map([...this.#states].map(([c, s]) => [c, s.pushed]));
    this.#stop =
      this.#states.size === 0
        ? null
        : this.log.follow([...this.#states.keys()], (e) => this.#offer(e), from);
    await old?.();
  }

  #offer(e: LoggedEvent): void {
    const st = this.#states.get(e.channel);
    if (!st) return;
    if (st.busy === 0) {
      if (e.seq <= st.pushed) return;
      if (e.seq === st.pushed + 1) return this.#deliver(st, e);
    }
    // A gap (or events queued behind one): read what is missing first, in order.
    st.busy++;
    st.chain = st.chain.then(async () => {
      try {
        if (e.seq > st.pushed + 1) await this.#fill(st, e.channel, e.seq - 1);
        if (this.#states.get(e.channel) !== st || e.seq <= st.pushed) return;
        if (e.seq > st.pushed + 1) this.opts.onGap?.(e.channel, st.pushed + 1, e.seq - 1);
        this.#deliver(st, e);
      } finally {
        st.busy--;
      }
    });
  }

  #deliver(st: ChannelState, e: LoggedEvent): void {
    st.pushed = e.seq;
    this.onEvent(e);
  }

  /** Reads `channel` from the log until `upTo` is handed on (or the log cannot give it). */
  async #fill(st: ChannelState, channel: string, upTo: number): Promise<void> {
    while (st.pushed < upTo && this.#states.get(channel) === st) {
      let r;
      try {
        r = await this.log.read(channel, st.pushed, this.#batch);
      } catch (cause) {
        this.opts.onGap?.(channel, st.pushed + 1, upTo, cause);
        return;
      }
      const first = r.events[0]?.seq;
      if (first === undefined) return;
      if (first > st.pushed + 1) {
        this.opts.onGap?.(channel, st.pushed + 1, first - 1);
        st.pushed = first - 1;
      }
      for (const e of r.events) if (e.seq === st.pushed + 1) this.#deliver(st, e);
    }
  }

  /** Stops following (events in flight are dropped); `follow` does nothing from now on. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#changing;
    this.#states.clear();
    const stop = this.#stop;
    this.#stop = null;
    await stop?.();
  }
}
