import type { Payload } from '../scalability/bus/event-log.js';
import { CHANNEL_PERMISSION, type Channel } from './ws-channels.js';

/** A frame as the log keeps it: its kind, the user it is for (null: oversight only), the frame. */
export interface LoggedFrame {
  readonly k: Channel;
  readonly u: string | null;
  readonly f: { readonly type: string };
}

const KINDS: ReadonlySet<string> = new Set(Object.keys(CHANNEL_PERMISSION));

/**
 * A frame of kind `k` for user `u` as the log keeps it (`LoggedFrame`). A frame given as a
 * function is made when the log needs its text: the embedded log, when it is first read.
 */
export const loggedPayload = (k: Channel, u: string | null, frame: Payload): Payload =>
  typeof frame === 'string'
    ? `{"k":${JSON.stringify(k)},"u":${JSON.stringify(u)},"f":${frame}}`
    : () => `{"k":${JSON.stringify(k)},"u":${JSON.stringify(u)},"f":${frame()}}`;

/** A logged frame as a client gets it: the frame with its `seq` in the log's channel. */
export const frameWithSeq = (lf: LoggedFrame, seq: number) => JSON.stringify({ ...lf.f, seq });

/** A logged frame, checked: the log may be shared, so it is read as untrusted input. */
export function readLogged(payload: string): LoggedFrame | null {
  try {
    const v = JSON.parse(payload) as Partial<LoggedFrame> | null;
    if (
      v === null ||
      typeof v !== 'object' ||
      typeof v.k !== 'string' ||
      !KINDS.has(v.k) ||
      !(v.u === null || typeof v.u === 'string') ||
      typeof v.f !== 'object' ||
      v.f === null ||
      typeof v.f.type !== 'string'
    )
      return null;
    return v as LoggedFrame;
  } catch {
    return null;
  }
}
