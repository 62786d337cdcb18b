/**
 * The request-budget scope of a venue as a client reaches it (`request-gate.ts`): its IP-wide
 * weight and its bans. The venue's sandbox or testnet (`EXCHANGE_SANDBOX=1`) is another host with
 * limits of its own, so it is a scope of its own (`<id>:sandbox`), never above or below the
 * production one (`<id>`): a testnet node spends none of the production budget, and a ban met on
 * one stops nothing on the other. Every process on one venue and mode takes the same scope, so
 * they share one budget (`docs/venues.md`, "Request budgets in kairos serve").
 *
 * @example
 * venueBudgetScope('binance', false); // 'binance'
 * venueBudgetScope('binance', true); // 'binance:sandbox'
 */
export function venueBudgetScope(exchangeId: string, sandbox = false): string {
  return sandbox ? `${exchangeId}:sandbox` : exchangeId;
}
