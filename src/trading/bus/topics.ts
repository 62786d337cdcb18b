/**
 * Topic and endpoint names, built in one place.
 *
 * @example
 * bus.subscribe(Topics.bars('ORCL'), onBar);
 */
export const Topics = {
  bars: (instrumentId: string) => `data.bars.${instrumentId}`,
  trades: (instrumentId: string) => `data.trades.${instrumentId}`,
  orderEvents: (strategyId: string) => `events.order.${strategyId}`,
  allOrderEvents: 'events.order.*',
  positions: (strategyId: string) => `events.position.${strategyId}`,
  alerts: 'events.alert',
  risk: 'events.risk',
} as const;

/** Command endpoints. */
export const Endpoints = {
  risk: 'RiskEngine.execute',
  execution: 'ExecutionEngine.execute',
  executionReports: 'ExecutionEngine.process',
} as const;
