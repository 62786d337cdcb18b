import {
  assertChannel,
  type EventLog,
  type LoggedEvent,
  type Payload,
  type Replay,
} from './event-log.js';

/** An event as kept: its payload made (a string) once it was first read. */
interface Kept {
  readonly channel: string;
  readonly seq: number;
  payload: Payload;
}

/** `e` with its payload made (kept made, so it is made once). */
function made(e: Kept): LoggedEvent {
  if (typeof e.payload !== 'string') e.payload = e.payload();
  return e as LoggedEvent;
}

/**
 * The embedded `EventLog`: one process, the last `keep` events of each channel. A payload given
 * as a function is made when the event is first read (a follower, `read`): the frames of a
 * server nobody watches are never made (`docs/benchmarks.md`).
 */
export class MemoryEventLog implements EventLog {
  readonly #channels = new Map<string, { last: number; events: Kept[] }>();
  readonly #followers = new Set<{ channels: ReadonlySet<string>; on: (e: LoggedEvent) => void }>();
  /** `once` keys: channel and key -> sequence (bounded like the events). */
  readonly #once = new Map<string, number>();

  constructor(private readonly keep = 10_000) {}

  async append(channel: string, payload: Payload, opts?: { once?: string }): Promise<number> {
    assertChannel(channel);
    const onceKey = opts?.once === undefined ? undefined : `${channel}\n${opts.once}`;
    const seen = onceKey === undefined ? undefined : this.#once.get(onceKey);
    if (seen !== undefined) return seen;
    const c = this.#channels.get(channel) ?? { last: 0, events: [] };
    this.#channels.set(channel, c);
    const e: Kept = { channel, seq: ++c.last, payload };
    c.events.push(e);
    // Trimmed once per `keep` appends, not on each: dropping the oldest event from a full array
    // moves all the others (10,000 of them by default) on every append.
    if (c.events.length >= 2 * this.keep) c.events = c.events.slice(-this.keep);
    if (onceKey !== undefined) {
      this.#once.set(onceKey, e.seq);
      if (this.#once.size > this.keep) this.#once.delete(this.#once.keys().next().value!);
    }
    for (const f of this.#followers) if (f.channels.has(channel)) f.on(made(e));
    return e.seq;
  }

  async read(channel: string, afterSeq: number, limit: number): Promise<Replay> {
    assertChannel(channel);
    const c = this.#channels.get(channel);
    if (!c) return { events: [], truncated: false };
    const kept = this.#kept(c);
    const first = kept[0]?.seq ?? c.last + 1;
    return {
      events: kept
        .filter((e) => e.seq > afterSeq)
        .slice(0, limit)
        .map(made),
      truncated: afterSeq + 1 < first,
    };
  }

  async last(channel: string): Promise<number> {
    return this.#channels.get(channel)?.last ?? 0;
  }

  follow(
    channels: readonly string[],
    onEvent: (e: LoggedEvent) => void,
    from?: ReadonlyMap<string, number>,
  ): () => Promise<void> {
    channels.forEach(assertChannel);
    // The kept events after `from` first, then the new ones: one process, so nothing in between.
    for (const [channel, after] of from ?? [])
      if (channels.includes(channel))
        for (const e of this.#kept(this.#channels.get(channel)))
          if (e.seq > after) onEvent(made(e));
    const f = { channels: new Set(channels), on: onEvent };
    this.#followers.add(f);
    return async () => void this.#followers.delete(f);
  }

  /** The last `keep` events of a channel (the array holds up to twice as many between trims). */
  #kept(c: { events: Kept[] } | undefined): Kept[] {
    if (!c) return [];
    return c.events.length > this.keep ? c.events.slice(-this.keep) : c.events;
  }
}
