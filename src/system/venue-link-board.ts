import type { AccountVenueLink, AccountVenueStatus, ApiAccount } from '../api/deps.js';
import type { OwnerStatus } from '../scalability/leases/owner-status.js';

/** What the board needs. */
export interface VenueLinkBoardConfig {
  /** Where owners publish and every instance reads (Redis, `RedisOwnerStatus`). */
  readonly status: OwnerStatus;
  /** This instance's link of a live account it keeps (null: none here). */
  readonly link: (accountId: string) => AccountVenueLink | null;
  /** The live accounts with a link here. */
  readonly linked: () => Iterable<string>;
  /** The fencing token of the account's lease held here (undefined: not held). */
  readonly token: (accountId: string) => number | undefined;
  /** How long an owner's word holds: the lease TTL (`KAIROS_LEASE_TTL_MS`); said again every third. */
  readonly holdMs: number;
  /** Wall-clock ms (only for a status that could not be read). */
  readonly now: () => number;
  readonly log: (line: string) => void;
}

interface Word {
  readonly state: AccountVenueLink['state'];
  readonly reason: string | null;
  readonly since: number;
  readonly confirmedAt: number | null;
  readonly retryAt: number | null;
}

/**
 * Every instance answers the same `venueStatus` for a live account (`docs/scalability.md`,
 * "Venue status on every instance"): its owner publishes its link to Redis (`OwnerStatus`) each
 * time it changes (made, connected, confirmed, down, disabled) and again every third of the lease
 * TTL, each word holding one TTL; another instance reads the owner's word. An owner gone (its word
 * lapsed: it died, or was stopped, and no instance took the account yet) or never heard of: `UNKNOWN`.
 * A word carries the lease's fencing token: an owner that lost its lease never overwrites a newer
 * owner's.
 *
 * @example
 * const board = new VenueLinkBoard({ status, link, linked, token, holdMs: 10_000, now, log });
 * board.start();
 * const statuses = await board.read(accounts);
 */
export class VenueLinkBoard {
  /** Accounts with a publish in flight, and those changed meanwhile (published once it ends). */
  readonly #inFlight = new Set<string>();
  readonly #again = new Set<string>();
  #timer: ReturnType<typeof setInterval> | null = null;
  #closed = false;

  constructor(private readonly cfg: VenueLinkBoardConfig) {}

  /** Says every link kept here again every third of the hold, so a live owner's word never lapses. */
  start(): void {
    this.#timer ??= setInterval(
      () => {
        for (const id of this.cfg.linked()) this.changed(id);
      },
      Math.max(1, this.cfg.holdMs / 3),
    );
    this.#timer.unref?.();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /**
   * The account's link here may have changed: published (one publish at a time per account, the
   * last one made from the link as it is then, so the newest state is the one left).
   */
  changed(accountId: string): void {
    if (this.#closed) return;
    if (this.#inFlight.has(accountId)) {
      this.#again.add(accountId);
      return;
    }
    const link = this.cfg.link(accountId);
    const token = this.cfg.token(accountId);
    if (!link || token === undefined) return;
    const word: Word = {
      state: link.state,
      reason: link.reason,
      since: link.since,
      confirmedAt: link.confirmedAt,
      retryAt: link.retryAt ?? null,
    };
    this.#inFlight.add(accountId);
    void this.cfg.status
      .publish(accountId, token, JSON.stringify(word), this.cfg.holdMs)
      .catch((e: unknown) =>
        // Said again at the next third of the hold; until then the others read the last word.
        this.cfg.log(`account ${accountId}: venue link not published: ${(e as Error).message}`),
      )
      .finally(() => {
        this.#inFlight.delete(accountId);
        if (this.#again.delete(accountId)) this.changed(accountId);
      });
  }

  /**
   * The owner's word on each open live account of `accounts` whose link is not kept here (a
   * closed one has none, as on its owner; a paper one neither). A lapsed word, or none: `UNKNOWN`.
   * Redis not answering: `UNKNOWN`, saying so (the list is still answered).
   */
  async read(accounts: readonly ApiAccount[]): Promise<ReadonlyMap<string, AccountVenueStatus>> {
    const away = accounts.filter(
      (a) => a.mode === 'live' && a.disabledAt === null && this.cfg.link(a.id) === null,
    );
    const out = new Map<string, AccountVenueStatus>();
    if (away.length === 0) return out;
    let read: Awaited<ReturnType<OwnerStatus['read']>>;
    try {
      read = await this.cfg.status.read(away.map((a) => a.id));
    } catch (e) {
      const reason = `its owner's venue link could not be read (Redis: ${(e as Error).message})`;
      for (const a of away)
        out.set(a.id, {
          venue: 'UNKNOWN',
          reason,
          since: this.cfg.now(),
          confirmedAt: null,
          retryAt: null,
        });
      return out;
    }
    for (const a of away) {
      const said = read.words.get(a.id);
      const word = said ? parseWord(said.value) : null;
      if (!said || !word) {
        out.set(a.id, {
          venue: 'UNKNOWN',
          reason: 'no instance has connected the account to its venue yet',
          since: a.createdAt,
          confirmedAt: null,
          retryAt: null,
        });
      } else if (said.heldUntil <= read.now) {
        out.set(a.id, {
          venue: 'UNKNOWN',
          reason:
            'no instance holds the account now (its owner stopped); another takes it within the lease TTL',
          since: said.heldUntil,
          confirmedAt: word.confirmedAt,
          retryAt: null,
        });
      } else {
        out.set(a.id, {
          venue: word.state,
          reason: word.reason,
          since: word.since,
          confirmedAt: word.confirmedAt,
          retryAt: word.retryAt !== null && word.retryAt > read.now ? word.retryAt : null,
        });
      }
    }
    return out;
  }
}

function parseWord(text: string): Word | null {
  try {
    const w = JSON.parse(text) as Partial<Word>;
    const states: readonly string[] = ['UP', 'DOWN', 'DISABLED'];
    return typeof w.state === 'string' && states.includes(w.state) && typeof w.since === 'number'
      ? {
          state: w.state,
          reason: typeof w.reason === 'string' ? w.reason : null,
          since: w.since,
          confirmedAt: typeof w.confirmedAt === 'number' ? w.confirmedAt : null,
          retryAt: typeof w.retryAt === 'number' ? w.retryAt : null,
        }
      : null;
  } catch {
    return null;
  }
}
