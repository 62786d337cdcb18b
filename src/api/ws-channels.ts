import type { Permission } from '../security/roles/permissions.js';

/** Each channel and the permission it needs: the same matrix as the routes (`permissions.ts`). */
export const CHANNEL_PERMISSION = {
  orders: 'orders:read',
  fills: 'orders:read',
  bars: 'market-data:read',
  trades: 'market-data:read',
  book: 'market-data:read',
  positions: 'positions:read',
  balances: 'positions:read',
  // An account's kill switch and limits: its owner and the oversight roles (an admin, who may
  // halt any account, included), whatever their risk permissions (`docs/api.md`, "WebSocket").
  risk: 'accounts:read',
} as const satisfies Readonly<Record<string, Permission>>;
export type Channel = keyof typeof CHANNEL_PERMISSION;
/** The channels of an instrument's market data (the others are an account's). */
export type MarketChannel = 'bars' | 'trades' | 'book';
export const isMarket = (k: Channel): k is MarketChannel =>
  k === 'bars' || k === 'trades' || k === 'book';

/** The event-log channel of an account's frames (orders, fills, positions, balances). */
export const accountChannel = (accountId: string) => `ws:${accountId}`;
/**
 * The event-log channel of an account's `risk` frames: its own sequence, so the kill switch and
 * limits shift none of the account's order, fill, position and balance sequences.
 */
export const riskChannel = (accountId: string) => `ws:risk:${accountId}`;
/** The event-log channel an account's `kind` frames are in (`risk` has one of its own). */
export const logChannelOf = (kind: Channel, accountId: string) =>
  kind === 'risk' ? riskChannel(accountId) : accountChannel(accountId);
/** The event-log channel of an instrument's bars. */
export const barsChannel = (instrumentId: string) => `ws:bars:${instrumentId}`;
/**
 * The event-log channel of a market channel's instrument: the replay's bars keep `ws:bars:<id>`;
 * a venue's symbol is qualified by its venue, `ws:<kind>:<venue>:<symbol>`.
 */
export const marketChannel = (kind: MarketChannel, venue: string | null, symbol: string) =>
  venue === null ? `ws:${kind}:${symbol}` : `ws:${kind}:${venue}:${symbol}`;
