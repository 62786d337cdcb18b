import WebSocket from 'ws';
import { gatewayApp } from '../../support/ws-gateway-app.js';
import { silentPeer } from '../../support/ws-silent-peer.js';
import { WS_LIMITS } from '../../../src/api/ws-client.js';

/**
 * A stop (the drain on SIGTERM) closes every WebSocket client with 1001, and cuts one that does
 * not answer within `closeGraceMs`: it used to wait ws's 30 s close timeout for such a peer, so a
 * drain could outlast its bound.
 */
describe('WebSocket clients at a stop', () => {
  it('are told 1001; one that does not answer is cut after the grace, not waited for', async () => {
    const { app, url } = await gatewayApp();
    const wsUrl = `${url.replace('http', 'ws')}/ws`;
    const polite = new WebSocket(wsUrl);
    await new Promise((r) => polite.once('open', r));
    const closed = new Promise<number>((r) => polite.once('close', (code) => r(code)));
    const silent = await silentPeer(url);
    const cut = new Promise<void>((r) => silent.once('close', () => r()));
    const started = performance.now();
    await app.close();
    const tookMs = performance.now() - started;
    expect(await closed).toBe(1001);
    await cut;
    // Cut after the grace (not at once), and long before ws's own 30 s close timeout.
    expect(tookMs).toBeGreaterThanOrEqual(WS_LIMITS.closeGraceMs - 50);
    expect(tookMs).toBeLessThan(15_000);
    silent.destroy();
  });
});
