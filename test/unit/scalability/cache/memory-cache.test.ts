import { MemoryCache } from '../../../../src/scalability/cache/memory-cache.js';

describe('MemoryCache', () => {
  it('evicts the least recently used entry beyond maxEntries', async () => {
    const cache = new MemoryCache({ maxEntries: 2, now: () => 0 });
    await cache.set('a', '1', 1000);
    await cache.set('b', '2', 1000);
    expect(await cache.get('a')).toBe('1'); // a is now the most recent
    await cache.set('c', '3', 1000);
    expect(await cache.get('b')).toBeUndefined();
    expect(await cache.get('a')).toBe('1');
    expect(await cache.get('c')).toBe('3');
    expect(cache.size).toBe(2);
  });

  it('expires exactly at the TTL on its clock and drops the entry', async () => {
    let now = 1_000;
    const cache = new MemoryCache({ now: () => now });
    await cache.set('k', 'v', 500);
    now = 1_499;
    expect(await cache.get('k')).toBe('v');
    now = 1_500;
    expect(await cache.get('k')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => new MemoryCache({ maxEntries: 0 })).toThrow('maxEntries 0');
  });
});
