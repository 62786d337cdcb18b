/** The benchmark's instrument (the generated bars' and trades'), as `makeInstrument` takes it. */
export const BENCH_INSTRUMENT = {
  id: 'BENCH/USD',
  base: 'BENCH',
  quote: 'USD',
  tickSize: '0.01',
  lotSize: '1',
  takerFee: '0.001',
  makerFee: '0.001',
} as const;
