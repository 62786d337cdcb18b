import { randomBytes } from 'node:crypto';
import net from 'node:net';

/** Opcodes of RFC 6455 §5.2. */
export const OP = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/**
 * One WebSocket frame as a client writes it, or breaks it: any opcode, RSV bits, FIN, masking
 * and a declared length that may differ from the payload's.
 */
export function wsFrame(
  opcode: number,
  payload: Buffer,
  opts: { fin?: boolean; rsv?: number; mask?: boolean; length?: bigint } = {},
): Buffer {
  const mask = opts.mask ?? true;
  const b0 = ((opts.fin ?? true) ? 0x80 : 0) | ((opts.rsv ?? 0) << 4) | opcode;
  const n = opts.length ?? BigInt(payload.length);
  const m = mask ? 0x80 : 0;
  let head: Buffer;
  if (n < 126n) head = Buffer.from([b0, m | Number(n)]);
  else if (n < 65_536n) {
    head = Buffer.from([b0, m | 126, 0, 0]);
    head.writeUInt16BE(Number(n), 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = b0;
    head[1] = m | 127;
    head.writeBigUInt64BE(n, 2);
  }
  if (!mask) return Buffer.concat([head, payload]);
  const key = randomBytes(4);
  return Buffer.concat([head, key, Buffer.from(payload.map((x, i) => x ^ key[i % 4]!))]);
}

/** A client socket on `/ws` that writes raw frames and reads the server's. */
export interface RawWs {
  /** Writes bytes (frames from `wsFrame`). */
  send(bytes: Buffer): void;
  /** Writes one masked text frame. */
  text(s: string): void;
  /** The server's text frames, in order. */
  readonly texts: readonly string[];
  /** The code of the server's close frame (1005: one without a code), null before one. */
  closeCode(): number | null;
  /** Whether the connection has ended (the server closed it, with or without a close frame). */
  ended(): boolean;
  destroy(): void;
}

/** Opens a raw WebSocket on `port` (handshake done when it resolves). */
export async function rawWs(port: number): Promise<RawWs> {
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => undefined);
  await new Promise((resolve) => s.once('connect', resolve));
  const key = randomBytes(16).toString('base64');
  s.write(
    `GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  let buf = Buffer.alloc(0);
  let upgraded = false;
  let closeCode: number | null = null;
  let ended = false;
  const texts: string[] = [];
  let opened!: () => void;
  const open = new Promise<void>((resolve) => (opened = resolve));
  s.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    if (!upgraded) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      upgraded = true;
      buf = buf.subarray(end + 4);
      opened();
    }
    for (;;) {
      if (buf.length < 2) return;
      let length = buf[1]! & 0x7f;
      let at = 2;
      if (length === 126) {
        if (buf.length < 4) return;
        length = buf.readUInt16BE(2);
        at = 4;
      } else if (length === 127) {
        if (buf.length < 10) return;
        length = Number(buf.readBigUInt64BE(2));
        at = 10;
      }
      if (buf.length < at + length) return;
      const opcode = buf[0]! & 0x0f;
      const payload = buf.subarray(at, at + length);
      if (opcode === OP.text) texts.push(payload.toString('utf8'));
      if (opcode === OP.close) closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      buf = buf.subarray(at + length);
    }
  });
  s.on('close', () => {
    ended = true;
    opened();
  });
  await open;
  return {
    send: (bytes) => void s.write(bytes),
    text: (t) => void s.write(wsFrame(OP.text, Buffer.from(t))),
    texts,
    closeCode: () => closeCode,
    ended: () => ended,
    destroy: () => s.destroy(),
  };
}
