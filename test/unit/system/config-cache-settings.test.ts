import { loadConfig, maskedConfig } from '../../../src/system/config.js';

describe('cache settings', () => {
  it('are absent by default: everything stays in memory', () => {
    const config = loadConfig({});
    expect(config.redisUrl).toBeUndefined();
    expect(config.memcachedServers).toBeUndefined();
    expect(maskedConfig(config)).toMatchObject({ redisUrl: null, memcachedServers: null });
  });

  it('reads REDIS_URL and MEMCACHED_SERVERS and masks their passwords', () => {
    const config = loadConfig({
      REDIS_URL: ' rediss://:pw@cache.example.com:6380/0 ',
      MEMCACHED_SERVERS: 'mc1.example.com:11211,user:pw@mc2.example.com',
    });
    expect(config.redisUrl).toBe('rediss://:pw@cache.example.com:6380/0');
    expect(config.memcachedServers).toBe('mc1.example.com:11211,user:pw@mc2.example.com');
    expect(maskedConfig(config)).toMatchObject({
      redisUrl: 'rediss://:***@cache.example.com:6380/0',
      memcachedServers: 'mc1.example.com:11211,user:***@mc2.example.com',
    });
  });

  it('names the bad setting', () => {
    expect(() => loadConfig({ REDIS_URL: 'http://cache:6379' })).toThrow(
      'REDIS_URL: must be a redis:// or rediss:// URL',
    );
    for (const bad of ['mc1:99999', 'mc1:abc', 'mc 1:11211', 'mc1:11211,,mc2']) {
      expect(() => loadConfig({ MEMCACHED_SERVERS: bad })).toThrow(/^MEMCACHED_SERVERS: /);
    }
    expect(() => loadConfig({ MEMCACHED_SERVERS: 'u:pw@mc1:0' })).toThrow(
      'MEMCACHED_SERVERS: "u:***@mc1:0" must be host[:port]',
    );
  });
});
