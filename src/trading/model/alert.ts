/**
 * Something an operator must look at (an overfill, a duplicate fill, drift). Published on
 * `events.alert`.
 *
 * @example
 * bus.publish(Topics.alerts, { kind: 'Alert', code: 'ORDER_OVERFILL', message, ts });
 */
export interface Alert {
  readonly kind: 'Alert';
  readonly code: string;
  readonly message: string;
  readonly ts: number;
}
