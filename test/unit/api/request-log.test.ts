import { requestId } from '../../../src/api/request-log.js';

describe('request ids', () => {
  it("keeps a client's plain x-request-id, replaces anything else with a UUID", () => {
    expect(requestId({ headers: { 'x-request-id': 'lb-1234.abc:9' } })).toBe('lb-1234.abc:9');
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    for (const given of [undefined, '', 'a b', 'x'.repeat(65), '{"inject":1}', ['a', 'b']])
      expect(requestId({ headers: { 'x-request-id': given } })).toMatch(uuid);
    expect(requestId({ headers: {} })).not.toBe(requestId({ headers: {} }));
  });
});
