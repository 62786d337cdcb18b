/** One event of a channel, with its place in that channel (1, 2, 3, … with no gap). */
export interface LoggedEvent {
  readonly channel: string;
  readonly seq: number;
  /** The event as the publisher serialised it (JSON). */
  readonly payload: string;
}

/** An event's text (JSON), or a function that makes it (see `EventLog.append`). */
export type Payload = string | (() => string);

/** What a reader gets back after `afterSeq`: the events kept, and whether some were dropped. */
export interface Replay {
  readonly events: readonly LoggedEvent[];
  /**
   * True when events after `afterSeq` are no longer kept (the log is bounded): the reader
   * missed some and must start again from a snapshot.
   */
  readonly truncated: boolean;
}

/**
 * The events every instance's WebSocket clients see, per channel, in one order for all: an
 * account's orders, an instrument's bars. A channel's sequence is the same on every instance,
 * so a client that reconnects anywhere resumes from its last one.
 */
export interface EventLog {
  /**
   * Appends `payload` to `channel`; answers its sequence number. With `once` (a key naming the
   * event, e.g. a bar's time), an event already appended under that key in the last hour (by any
   * instance) is not appended again: its first sequence is answered. A function is called for
   * the text at most once: at once by a log that sends it elsewhere, when the event is first
   * read by one that keeps it in this process (`MemoryEventLog`), so it must answer the same
   * text whenever it is called.
   */
  append(channel: string, payload: Payload, opts?: { readonly once?: string }): Promise<number>;
  /** Up to `limit` events of `channel` after `afterSeq`, in order. */
  read(channel: string, afterSeq: number, limit: number): Promise<Replay>;
  /** The last sequence number of `channel` (0: none yet). */
  last(channel: string): Promise<number>;
  /**
   * Calls `onEvent` for every event appended to `channels` from now on (by any instance), in
   * each channel's order, until the returned stop is called. `from` starts a channel after that
   * sequence instead (the kept events after it first), so a follower restarted on another set of
   * channels misses nothing in between.
   */
  follow(
    channels: readonly string[],
    onEvent: (e: LoggedEvent) => void,
    from?: ReadonlyMap<string, number>,
  ): () => Promise<void>;
}

const CHANNEL = /^[A-Za-z0-9:_./-]{1,200}$/;

/** Channel names are keys in Redis: letters, digits and `:_./-`, at most 200. */
export function assertChannel(channel: string): void {
  if (!CHANNEL.test(channel)) {
    throw new RangeError(
      `event channel "${channel.slice(0, 50)}": letters, digits and :_./- only, 1-200`,
    );
  }
}
