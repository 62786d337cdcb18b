import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { WsGatewayOptions } from '../../src/api/ws-gateway-options.js';
import { wsGateway } from '../../src/api/ws-gateway.js';
import type { AccessClaims } from '../../src/security/tokens/access-tokens.js';
import { MessageBus } from '../../src/trading/bus/message-bus.js';
import type { Bar } from '../../src/trading/data/market-data.js';
import { btcInstrument } from './paper-args.js';

const ISSUED = { iss: 'kairos', aud: 'kairos-api', typ: 'access' } as const;
/** The claims every token of `gatewayApp` verifies to: a trader, for ever. */
export const TRADER: AccessClaims = {
  ...ISSUED,
  sub: 'u1',
  role: 'trader',
  sid: 's1',
  iat: 0,
  exp: 4e9,
};

/**
 * The WebSocket gateway alone on a Fastify server (no composition): any token is `TRADER`, no
 * account, BTC/X as the one instrument, and bars the test emits (`emit`). `opts` override;
 * `server` goes to Fastify (`trustProxy`).
 */
export async function gatewayApp(
  opts: Partial<WsGatewayOptions> = {},
  server: Pick<FastifyServerOptions, 'trustProxy'> = {},
): Promise<{ app: FastifyInstance; url: string; emit: (bar: Bar) => void }> {
  let emit: (bar: Bar) => void = () => undefined;
  const app = Fastify(server);
  await app.register(wsGateway, {
    tokens: { verifyAccess: () => TRADER },
    events: new MessageBus(),
    order: () => undefined,
    accountOwner: () => undefined,
    portfolio: () => undefined,
    instruments: [btcInstrument()],
    bars: {
      subscribe: (fn) => {
        emit = fn;
        return () => undefined;
      },
    },
    owners: { withOwner: () => undefined },
    visibleAccounts: () => [],
    snapshot: async () => [],
    now: () => 0,
    ...opts,
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url, emit: (bar) => emit(bar) };
}

/** Bar `i` of BTC/X (`gatewayApp`'s instrument): minute `i`, every price `i`. */
export const minuteBar = (i: number): Bar => ({
  instrumentId: 'BTC/X',
  openTime: i * 60_000,
  closeTime: i * 60_000 + 59_999,
  open: i,
  high: i,
  low: i,
  close: i,
  volume: 1,
});
