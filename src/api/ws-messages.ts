import { Type, type Static } from '@fastify/type-provider-typebox';
import { Compile } from 'typebox/compile';
import { firstDuplicateKey } from './duplicate-keys.js';
import { firstHostile } from './hostile-input.js';

const Channel = Type.Union([
  Type.Literal('orders'),
  Type.Literal('fills'),
  Type.Literal('bars'),
  Type.Literal('trades'),
  Type.Literal('book'),
  Type.Literal('positions'),
  Type.Literal('balances'),
  Type.Literal('risk'),
]);

/**
 * The instruments of a `bars`, `trades` or `book` subscription: the replay's ids
 * (`BTC/USDT`) or a venue's symbols as `<venue>:<symbol>` (`binance:ETH/USDT`).
 */
const Instruments = Type.Array(Type.String({ pattern: '^[A-Za-z0-9:_./-]{1,100}$' }), {
  minItems: 1,
  maxItems: 100,
  uniqueItems: true,
  description: "instrument ids: the replay's, or <venue>:<symbol>",
});

/**
 * `after` of a resuming `subscribe`: per account (bars: per instrument), the last `seq` the
 * client saw.
 */
const After = Type.Record(
  Type.String({ pattern: '^[A-Za-z0-9:_./-]{1,100}$' }),
  Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  {
    minProperties: 1,
    maxProperties: 100,
    additionalProperties: false,
    description: 'the last seq seen, per account id (bars: per instrument id)',
  },
);

/** The schema of each message a client may send on `/ws`, by `type`. */
export const WS_MESSAGE_SCHEMAS = {
  auth: Type.Object(
    { type: Type.Literal('auth'), token: Type.String({ minLength: 1, maxLength: 4096 }) },
    { additionalProperties: false },
  ),
  subscribe: Type.Object(
    {
      type: Type.Literal('subscribe'),
      channel: Channel,
      instruments: Type.Optional(Instruments),
      after: Type.Optional(After),
    },
    { additionalProperties: false },
  ),
  unsubscribe: Type.Object(
    {
      type: Type.Literal('unsubscribe'),
      channel: Channel,
      instruments: Type.Optional(Instruments),
    },
    { additionalProperties: false },
  ),
} as const;

/** A validated client message. */
export type WsMessage = Static<(typeof WS_MESSAGE_SCHEMAS)[keyof typeof WS_MESSAGE_SCHEMAS]>;

const CHECKS = Object.fromEntries(
  Object.entries(WS_MESSAGE_SCHEMAS).map(([type, schema]) => [type, Compile(schema)]),
) as Record<string, ReturnType<typeof Compile>>;
const TYPES = Object.keys(WS_MESSAGE_SCHEMAS).join(', ');
const FATAL_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads one frame: text, valid UTF-8, JSON, an object of a known `type` matching its schema,
 * no repeated key, and no string a store could not keep. Any other frame (binary, `null`, a
 * number, an array, a key twice in one object, deep nesting, NUL, a lone surrogate…) is refused with a detail that names the field.
 *
 * @example
 * readFrame(Buffer.from('null'), false); // { ok: false, detail: 'message: must be a JSON object' }
 */
export function readFrame(
  raw: unknown,
  isBinary: boolean,
): { ok: true; message: WsMessage } | { ok: false; detail: string } {
  if (isBinary) return { ok: false, detail: 'message: must be a text frame' };
  let text: string;
  try {
    const bytes = Array.isArray(raw)
      ? Buffer.concat(raw as Buffer[])
      : raw instanceof ArrayBuffer
        ? new Uint8Array(raw)
        : (raw as Uint8Array);
    text = FATAL_UTF8.decode(bytes);
  } catch {
    return { ok: false, detail: 'message: must be UTF-8 text' };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, detail: 'message: not JSON' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, detail: 'message: must be a JSON object' };
  }
  const repeated = firstDuplicateKey(text, 'message');
  if (repeated) return { ok: false, detail: `${repeated.field}: ${repeated.rule}` };
  const hostile = firstHostile(value, 'message');
  if (hostile) return { ok: false, detail: `${hostile.field}: ${hostile.rule}` };
  const type = (value as { type?: unknown }).type;
  const check = typeof type === 'string' && Object.hasOwn(CHECKS, type) ? CHECKS[type] : undefined;
  if (!check) return { ok: false, detail: `type: must be one of ${TYPES}` };
  if (!check.Check(value)) {
    const first = [...check.Errors(value)][0];
    const field = `message${(first?.instancePath ?? '').replace(/\//g, '.')}`;
    return { ok: false, detail: `${field}: ${first?.message ?? 'is invalid'}` };
  }
  return { ok: true, message: value as WsMessage };
}
