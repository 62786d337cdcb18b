/**
 * The backtest report (`report.json`). Every money value is a decimal string; times are
 * integer milliseconds since the epoch, UTC. The same inputs and seed give byte-identical JSON.
 */

/** One order as it ended the run. */
export interface ReportOrder {
  readonly clientOrderId: string;
  readonly instrumentId: string;
  readonly side: 'BUY' | 'SELL';
  readonly type: 'MARKET' | 'LIMIT' | 'STOP_MARKET' | 'STOP_LIMIT';
  readonly timeInForce: 'GTC' | 'IOC' | 'FOK';
  readonly quantity: string;
  readonly price: string | null;
  readonly triggerPrice: string | null;
  readonly status: string;
  /** The stable reason code of a denial, rejection, cancel or expiry, else null. */
  readonly reason: string | null;
  readonly filledQuantity: string;
  readonly avgFillPrice: string | null;
  readonly createdAt: number;
}

/** One fill. */
export interface ReportFill {
  readonly tradeId: string;
  readonly clientOrderId: string;
  readonly ts: number;
  readonly side: 'BUY' | 'SELL';
  readonly price: string;
  readonly quantity: string;
  readonly fee: string;
  readonly feeCurrency: string;
  readonly liquidity: 'MAKER' | 'TAKER';
}

/** A position opened from flat and closed back to flat. */
export interface RoundTrip {
  readonly instrumentId: string;
  readonly side: 'LONG' | 'SHORT';
  readonly openedAt: number;
  readonly closedAt: number;
  readonly quantity: string;
  readonly entryPrice: string;
  readonly exitPrice: string;
  /** Realized PnL net of the fees of its fills. */
  readonly pnl: string;
  readonly fees: string;
}

/** One point of the equity curve: equity = cash + positions marked at the bar's close. */
export interface EquityPoint {
  readonly ts: number;
  readonly equity: string;
}

/** Performance metrics. Ratios are numbers (statistics); money is decimal strings. */
export interface Metrics {
  readonly startEquity: string;
  readonly endEquity: string;
  readonly totalReturn: number;
  readonly cagr: number;
  readonly sharpe: number;
  readonly sortino: number;
  readonly maxDrawdown: number;
  /** Longest time from a peak to the recovery of that peak (or to the end), in ms. */
  readonly maxDrawdownDuration: number;
  readonly winRate: number;
  /** Gross profit / gross loss of round trips; null when there is no losing trip. */
  readonly profitFactor: number | null;
  readonly roundTrips: number;
  /** Fraction of bars with a non-zero position. */
  readonly exposure: number;
  readonly fees: string;
  readonly periodsPerYear: number;
}

/** A bar of the price series drawn in the report (may be downsampled). */
export interface PricePoint {
  readonly ts: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
}

/** Why a run stopped early: its strategy threw (the report then holds the run up to there). */
export interface ReportFailure {
  readonly code: string;
  /** `init`, `onBar`, `onTrade`, `onOrderEvent` or `onStop`. */
  readonly phase: string;
  /** 0-based index of the bar being handled (null before the first bar). */
  readonly barIndex: number | null;
  readonly ts: number | null;
  readonly message: string;
}

/** The whole report. */
export interface BacktestReport {
  readonly kairosReportVersion: 1;
  readonly strategy: string;
  readonly instrumentId: string;
  readonly dataFile: string;
  readonly parameters: Readonly<Record<string, number | string | boolean>>;
  readonly settings: Readonly<Record<string, string | number | null>>;
  /**
   * The bars run over, each named as a quant reads it (`docs/metrics.md`, "Times in the report"):
   * bars of a day or longer by the day they open (their date: `from` the first bar's open, `to`
   * the last one's), shorter bars by their close time. `barMs`: the bars' interval.
   */
  readonly period: {
    readonly from: number;
    readonly to: number;
    readonly bars: number;
    readonly barMs: number;
  };
  readonly metrics: Metrics;
  readonly orders: readonly ReportOrder[];
  readonly fills: readonly ReportFill[];
  readonly roundTrips: readonly RoundTrip[];
  readonly equityCurve: readonly EquityPoint[];
  readonly prices: readonly PricePoint[];
  /** Present only when the run failed: the report is partial. */
  readonly failure?: ReportFailure;
}
