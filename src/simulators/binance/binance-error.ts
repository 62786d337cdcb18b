/**
 * An error the simulated venue answers with, in Binance's shape: HTTP status, a negative `code`
 * and a `msg`, plus headers (Retry-After for 429/418).
 *
 * @example
 * throw BinanceErrors.unknownOrder(); // 400 {"code":-2013,"msg":"Order does not exist."}
 */
export class BinanceError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly status = 400,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'BinanceError';
  }

  /** The JSON body Binance sends. */
  body(): { code: number; msg: string } {
    return { code: this.code, msg: this.message };
  }
}

const DECIMAL_RULE = "legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.";

/** Binance's messages for the codes a fault may name without a message. */
export const BINANCE_MESSAGES: Readonly<Record<number, string>> = {
  [-1000]: 'An unknown error occurred while processing the request.',
  [-1001]: 'Internal error; unable to process your request. Please try again.',
  [-1003]: 'Too many requests; current limit is 6000 request weight per 1 MINUTE.',
  [-1007]:
    'Timeout waiting for response from backend server. Send status unknown; execution status unknown.',
  [-1013]: 'Filter failure: LOT_SIZE',
  [-1015]: 'Too many new orders.',
  [-1021]: 'Timestamp for this request is outside of the recvWindow.',
  [-1022]: 'Signature for this request is not valid.',
  [-2010]: 'Account has insufficient balance for requested action.',
  [-2011]: 'Unknown order sent.',
  [-2013]: 'Order does not exist.',
  [-2014]: 'API-key format invalid.',
  [-2015]: 'Invalid API-key, IP, or permissions for action.',
};

/** The errors the venue raises, with Binance's codes, messages and statuses. */
export const BinanceErrors = {
  unknownEndpoint: () => new BinanceError(-1, 'Unknown endpoint.', 404),
  mandatory: (name: string) =>
    new BinanceError(
      -1102,
      `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`,
    ),
  illegalDecimal: (name: string) =>
    new BinanceError(-1100, `Illegal characters found in parameter '${name}'; ${DECIMAL_RULE}`),
  illegalChars: (name: string) =>
    new BinanceError(-1100, `Illegal characters found in parameter '${name}'.`),
  notRequired: (name: string) =>
    new BinanceError(-1106, `Parameter '${name}' sent when not required.`),
  badSymbol: () => new BinanceError(-1121, 'Invalid symbol.'),
  badInterval: () => new BinanceError(-1120, 'Invalid interval.'),
  badSide: () => new BinanceError(-1117, 'Invalid side.'),
  badType: () => new BinanceError(-1116, 'Invalid orderType.'),
  badTimeInForce: () => new BinanceError(-1115, 'Invalid timeInForce.'),
  badLimit: () => new BinanceError(-1130, "Data sent for parameter 'limit' is not valid."),
  badCombination: () => new BinanceError(-1128, 'Combination of optional parameters invalid.'),
  lookupTooBig: (what: string) =>
    new BinanceError(-1127, `More than ${what} between startTime and endTime.`),
  filter: (name: string) => new BinanceError(-1013, `Filter failure: ${name}`),
  duplicate: () => new BinanceError(-2010, 'Duplicate order sent.'),
  insufficient: () => new BinanceError(-2010, BINANCE_MESSAGES[-2010]!),
  wouldTake: () => new BinanceError(-2010, 'Order would immediately match and take.'),
  marketClosed: () => new BinanceError(-2010, 'Market is closed.'),
  unknownOrder: () => new BinanceError(-2013, BINANCE_MESSAGES[-2013]!),
  unknownOrderCancel: () => new BinanceError(-2011, BINANCE_MESSAGES[-2011]!),
  badSignature: () => new BinanceError(-1022, BINANCE_MESSAGES[-1022]!),
  timestampAhead: () =>
    new BinanceError(-1021, "Timestamp for this request was 1000ms ahead of the server's time."),
  timestampOutside: () => new BinanceError(-1021, BINANCE_MESSAGES[-1021]!),
  badRecvWindow: () => new BinanceError(-1131, 'recvWindow must be less than 60000'),
  apiKeyFormat: () => new BinanceError(-2014, BINANCE_MESSAGES[-2014]!, 401),
  apiKeyInvalid: () => new BinanceError(-2015, BINANCE_MESSAGES[-2015]!, 401),
  listenKeyUnknown: () => new BinanceError(-1125, 'This listenKey does not exist.'),
  tooManyRequests: (
    limit: number,
    retryAfterSec: number,
    per: { readonly interval: string; readonly intervalNum: number } = {
      interval: 'MINUTE',
      intervalNum: 1,
    },
  ) =>
    new BinanceError(
      -1003,
      `Too much request weight used; current limit is ${limit} request weight per ${per.intervalNum} ${per.interval}. Please use WebSocket Streams for live updates to avoid polling the API.`,
      429,
      { 'Retry-After': String(retryAfterSec) },
    ),
  banned: (until: number, retryAfterSec: number) =>
    new BinanceError(
      -1003,
      `Way too much request weight used; IP banned until ${until}. Please use WebSocket Streams for live updates to avoid bans.`,
      418,
      { 'Retry-After': String(retryAfterSec) },
    ),
};
