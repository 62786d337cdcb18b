import { banFromResponse } from '../../../../src/scalability/rate-limit/ban-from-response.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('banFromResponse', () => {
  it('imposes nothing for other statuses', () => {
    expect(banFromResponse({ status: 200 }, NOW)).toBeUndefined();
    expect(banFromResponse({ status: 503, headers: { 'Retry-After': '5' } }, NOW)).toBeUndefined();
  });

  it('reads Retry-After in seconds or as an HTTP date, any header case', () => {
    expect(banFromResponse({ status: 429, headers: { 'Retry-After': '30' } }, NOW)).toEqual({
      untilMs: NOW + 30_000,
      reason: 'HTTP 429 rate limited until 2026-01-01T00:00:30.000Z',
    });
    const date = new Date(NOW + 90_000).toUTCString();
    expect(banFromResponse({ status: 429, headers: { 'retry-after': date } }, NOW)?.untilMs).toBe(
      NOW + 90_000,
    );
  });

  it("takes Binance's 418 ban-until time from the body when it is later", () => {
    const body = `{"code":-1003,"msg":"Way too much request weight used; IP banned until ${NOW + 600_000}. Please use WebSocket Streams."}`;
    const ban = banFromResponse({ status: 418, headers: { 'retry-after': '120' }, body }, NOW);
    expect(ban).toEqual({
      untilMs: NOW + 600_000,
      reason: 'HTTP 418 IP banned until 2026-01-01T00:10:00.000Z',
    });
  });

  it('falls back to defaultMs when the venue gives no time', () => {
    expect(banFromResponse({ status: 429 }, NOW)?.untilMs).toBe(NOW + 60_000);
    expect(banFromResponse({ status: 418, body: 'teapot' }, NOW, 5_000)?.untilMs).toBe(NOW + 5_000);
    expect(banFromResponse({ status: 429, headers: { 'retry-after': 'soon' } }, NOW)?.untilMs).toBe(
      NOW + 60_000,
    );
  });

  it('with defaultMs null imposes no ban when the venue gives no time (the caller backs off)', () => {
    expect(banFromResponse({ status: 429, body: '{"code":"50011"}' }, NOW, null)).toBeUndefined();
    expect(
      banFromResponse({ status: 429, headers: { 'retry-after': '3' } }, NOW, null)?.untilMs,
    ).toBe(NOW + 3_000);
  });
});
