import { assertCacheKey, assertTtl, type Cache } from './cache.js';

/** Options of {@link MemoryCache}. */
export interface MemoryCacheOptions {
  /** Most entries kept; the least recently used goes first (default 10 000). */
  readonly maxEntries?: number;
  /** The clock in ms (default `Date.now`); tests pass a fake one. */
  readonly now?: () => number;
}

interface Entry {
  readonly value: string;
  readonly expiresAt: number;
}

/**
 * The embedded cache: one process, bounded, least-recently-used eviction, TTL read from an
 * injected clock. A `Map` keeps insertion order, so re-inserting on a hit makes it an LRU.
 *
 * @example
 * const cache = new MemoryCache({ maxEntries: 1000 });
 * await cache.set('k', 'v', 5_000);
 */
export class MemoryCache implements Cache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: MemoryCacheOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
    if (!Number.isSafeInteger(this.#maxEntries) || this.#maxEntries < 1) {
      throw new RangeError(`maxEntries ${this.#maxEntries}: must be a positive integer`);
    }
  }

  /** Entries held now, expired ones included until they are touched or evicted. */
  get size(): number {
    return this.#entries.size;
  }

  async get(key: string): Promise<string | undefined> {
    assertCacheKey(key);
    return this.#read(key);
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    assertCacheKey(key);
    assertTtl(ttlMs);
    this.#write(key, value, ttlMs);
  }

  async add(key: string, value: string, ttlMs: number): Promise<boolean> {
    assertCacheKey(key);
    assertTtl(ttlMs);
    // No await between the look and the write: racing callers cannot both see the key empty.
    if (this.#read(key) !== undefined) return false;
    this.#write(key, value, ttlMs);
    return true;
  }

  async delete(key: string): Promise<void> {
    assertCacheKey(key);
    this.#entries.delete(key);
  }

  #read(key: string): string | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= this.#now()) return undefined;
    this.#entries.set(key, entry);
    return entry.value;
  }

  #write(key: string, value: string, ttlMs: number): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: this.#now() + ttlMs });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }
}
