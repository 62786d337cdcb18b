import fc from 'fast-check';
import { MAX_TIME_MS, type AuditRecord } from '../../../../src/security/audit/audit-record.js';
import {
  canonicalJson,
  storableJson,
  storableText,
  type JsonValue,
} from '../../../../src/security/audit/canonical.js';
import { chainHash, GENESIS_HASH } from '../../../../src/security/audit/chain.js';
import { csv } from '../../../../src/security/audit/csv-format.js';
import { jsonl } from '../../../../src/security/audit/jsonl-format.js';
import { readRecord } from '../../../../src/security/audit/read-record.js';
import { auditChain } from './audit-chain.js';

/** Text an auditor's rows may hold: quotes, commas, line ends, formula starts, any code point. */
const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom('=1+1', '+x', '-x', '@x', '\tx', '\rx', "'x", "''x", 'a,"b"', 'l1\r\nl2', ''),
  fc
    .tuple(fc.constantFrom('=', '+', '-', '@', "'", ',', '"', '\n'), fc.string())
    .map(([a, b]) => a + b),
);
// Values as JSON carries them: -0 is written `0` by every JSON encoder, so it is not a JSON value.
const json: fc.Arbitrary<JsonValue> = fc
  .jsonValue({ maxDepth: 3 })
  .map((v) => JSON.parse(JSON.stringify(v)) as JsonValue);

/** Chained records with arbitrary text, times and payloads, both hash versions. */
const records = fc
  .array(
    fc.record({
      ts: fc.integer({ min: 0, max: 253_402_214_399_999 }),
      wall: fc.integer({ min: 0, max: 253_402_214_399_999 }),
      v1: fc.boolean(),
      actor: text,
      role: text,
      action: text,
      subject: text,
      payload: json,
    }),
    { minLength: 1, maxLength: 6 },
  )
  .map((rows) => {
    let prev = GENESIS_HASH;
    return rows.map((r, i): AuditRecord => {
      const fields = {
        seq: i + 1,
        ts: r.ts,
        wallTs: r.v1 ? r.ts : r.wall,
        hashVersion: r.v1 ? (1 as const) : (2 as const),
        actor: storableText(r.actor),
        role: storableText(r.role),
        action: storableText(r.action),
        subject: storableText(r.subject),
        payload: JSON.parse(canonicalJson(storableJson(r.payload))) as JsonValue,
      };
      const hash = chainHash(prev, fields);
      const record = { ...fields, prevHash: prev, hash };
      prev = hash;
      return record;
    });
  });

describe('export formats', () => {
  it('read back every record exactly as written, JSONL and CSV, whatever the text', () => {
    fc.assert(
      fc.property(records, (rs) => {
        const back = rs.map((record) => ({ ok: true, record }));
        expect(jsonl.read(jsonl.write(rs))).toEqual(back);
        expect(csv.read(csv.write(rs))).toEqual({ headerOk: true, rows: back });
      }),
    );
  });

  it('never lets a spreadsheet run a cell: every text cell that starts like a formula is quoted with a leading apostrophe', () => {
    fc.assert(
      fc.property(records, (rs) => {
        const body = csv.write(rs);
        expect(body.startsWith('\uFEFFseq,')).toBe(true);
        expect(body.endsWith('\r\n')).toBe(true);
        for (const r of rs) {
          for (const cell of [r.actor, r.role, r.action, r.subject]) {
            if (/^[=+\-@\t\r']/.test(cell))
              expect(body).toContain(`'${cell.replaceAll('"', '""')}`);
          }
        }
      }),
    );
  });

  it('canonical JSON parses back to the value, and does not depend on key order', () => {
    fc.assert(
      fc.property(json, (v) => {
        const c = canonicalJson(v);
        expect(JSON.parse(c)).toEqual(v);
        expect(c).not.toMatch(/^\s|\s$/);
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
          const reversed = Object.fromEntries(Object.entries(v).reverse());
          expect(canonicalJson(reversed)).toBe(c);
        }
      }),
    );
  });

  it('keeps text as stored: NUL and lone surrogates become U+FFFD, everything else is untouched', () => {
    expect(storableText('a\u0000b\ud800c\udc00')).toBe('a\ufffdb\ufffdc\ufffd');
    expect(storableText('😀 ü €')).toBe('😀 ü €');
    expect(storableJson({ 'k\u0000': ['\ud800', { x: 'y\u0000' }, 1, true, null] })).toEqual({
      'k\ufffd': ['\ufffd', { x: 'y\ufffd' }, 1, true, null],
    });
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        const clean = s.replaceAll('\u0000', '');
        expect(storableText(clean)).toBe(clean);
      }),
    );
  });

  it('refuses as a record, naming the field, a row with a bad value', () => {
    const good = {
      seq: 1,
      ts: 2,
      wall_ts: 3,
      hash_version: 2,
      actor: 'a',
      role: 'r',
      action: 'x',
      subject: '',
      payload: {},
      prev_hash: GENESIS_HASH,
      hash: 'f'.repeat(64),
    };
    expect(readRecord(good)).toEqual({
      seq: 1,
      ts: 2,
      wallTs: 3,
      hashVersion: 2,
      actor: 'a',
      role: 'r',
      action: 'x',
      subject: '',
      payload: {},
      prevHash: GENESIS_HASH,
      hash: 'f'.repeat(64),
    });
    const cases: [Record<string, unknown>, string][] = [
      [{ seq: -1 }, 'seq: must be a non-negative integer'],
      [{ seq: 1.5 }, 'seq: must be a non-negative integer'],
      [{ ts: '2' }, 'ts: must be a non-negative integer'],
      [{ wall_ts: -3 }, 'wall_ts: must be a non-negative integer'],
      [{ wall_ts: undefined }, 'wall_ts: must be a non-negative integer'],
      // A time past the last one a date holds could not be written as the CSV's ISO time.
      [{ ts: MAX_TIME_MS + 1 }, `ts: must be at most ${MAX_TIME_MS} (the last time a date holds)`],
      [
        { wall_ts: MAX_TIME_MS + 1 },
        `wall_ts: must be at most ${MAX_TIME_MS} (the last time a date holds)`,
      ],
      [{ hash_version: 3 }, 'hash_version: must be 1 or 2'],
      [{ hash_version: undefined }, 'hash_version: must be 1 or 2'],
      [{ actor: 1 }, 'actor: must be a string'],
      [{ role: null }, 'role: must be a string'],
      [{ action: undefined }, 'action: must be a string'],
      [{ subject: [] }, 'subject: must be a string'],
      [{ prev_hash: 'F'.repeat(64) }, 'prev_hash: must be 64 hex digits'],
      [{ hash: 'f'.repeat(63) }, 'hash: must be 64 hex digits'],
      [{ hash: 7 }, 'hash: must be 64 hex digits'],
      [{ payload: undefined }, 'payload: missing'],
    ];
    for (const [change, message] of cases) expect(readRecord({ ...good, ...change })).toBe(message);
    // The last time a date holds is a time; so is a seq past it (a seq is no time).
    expect(
      readRecord({ ...good, seq: MAX_TIME_MS + 1, ts: MAX_TIME_MS, wall_ts: MAX_TIME_MS }),
    ).toMatchObject({ seq: MAX_TIME_MS + 1, ts: MAX_TIME_MS, wallTs: MAX_TIME_MS });
    // Without both wall_ts and hash_version, a row of a version 1 export: wall time = ts.
    expect(readRecord({ ...good, wall_ts: undefined, hash_version: undefined })).toMatchObject({
      wallTs: 2,
      hashVersion: 1,
    });
    expect(readRecord({ ...good, hash_version: 1 })).toMatchObject({ wallTs: 3, hashVersion: 1 });
  });

  it('names the line or record of a row that is not one, in both formats', () => {
    const [r] = auditChain(1);
    const line = jsonl.write([r!]).trimEnd();
    expect(jsonl.read(`${line}\nnope\n[1]\nnull\n{"seq":1}\n${line} \n`)).toEqual([
      { ok: true, record: r },
      { ok: false, error: 'line 2: not JSON' },
      { ok: false, error: 'line 3: not a JSON object' },
      { ok: false, error: 'line 4: not a JSON object' },
      { ok: false, error: 'line 5: ts: must be a non-negative integer' },
      { ok: false, error: 'line 6: not byte-for-byte as exported' },
    ]);
    // Read as a version 1 export, a version 2 line is not as that exporter wrote it.
    expect(jsonl.read(`${line}\n`, 1)).toEqual([
      { ok: false, error: 'line 1: not byte-for-byte as exported' },
    ]);

    const body = csv.write([r!]);
    const [header, row] = body.slice(1).split('\r\n');
    const read = (lines: string[]) => csv.read(`\uFEFF${[header, ...lines].join('\r\n')}\r\n`);
    expect(read([`${row},x`]).rows).toEqual([
      { ok: false, error: 'record 1: 14 fields, expected 13' },
    ]);
    expect(read([row!.replace('{', '{x')]).rows).toEqual([
      { ok: false, error: 'record 1: payload is not JSON' },
    ]);
    expect(read([row!.replace(/^1,/, 'one,')]).rows).toEqual([
      { ok: false, error: 'record 1: seq: must be a non-negative integer' },
    ]);
    expect(read([row!.replace(/^1,/, '01,')]).rows).toEqual([
      { ok: false, error: 'record 1: not byte-for-byte as exported' },
    ]);
    // Read as a version 1 export, the wall columns make the header and the rows wrong.
    const asV1 = csv.read(body, 1);
    expect(asV1.headerOk).toBe(false);
    expect(asV1.rows).toEqual([{ ok: false, error: 'record 1: 13 fields, expected 10' }]);
    // No header at all, or a header with a column renamed.
    expect(csv.read('').headerOk).toBe(false);
    expect(csv.read(body.replace('wall_ts', 'wallts')).headerOk).toBe(false);
    // Without the byte-order mark, and with a bare LF line end, the rows still read.
    expect(csv.read(body.slice(1)).rows).toEqual([{ ok: true, record: r }]);
    expect(csv.read(body.slice(1).replaceAll('\r\n', '\n')).rows).toEqual([
      { ok: true, record: r },
    ]);
  });

  it('reads an unterminated quoted CSV field as the rest of the file, not as a row', () => {
    const body = csv.write(auditChain(1));
    // The payload's opening quote and one character, then what would be another row: no closing quote.
    const cut = `${body.slice(0, body.indexOf('"') + 2)}\r\n2,3,4\r\n`;
    const read = csv.read(cut);
    expect(read.headerOk).toBe(true);
    expect(read.rows).toEqual([{ ok: false, error: 'record 1: 10 fields, expected 13' }]);
    // Opened before the last cell, the quote keeps just that cell's text: a good hash, quoted
    // without its closing quote, reads as the hash, and only the exact bytes differ.
    const [r] = auditChain(1);
    const open = body.replace(`,${r!.hash}\r\n`, `,"${r!.hash}`);
    expect(csv.read(open).rows).toEqual([
      { ok: false, error: 'record 1: not byte-for-byte as exported' },
    ]);
  });

  it('names the field of a number cell that is not plain digits (a sign, an exponent, a space)', () => {
    const body = csv.write(auditChain(1));
    const [header, row] = body.slice(1).split('\r\n');
    for (const seq of ['+1', '1e0', ' 1', '-1', '1.0']) {
      expect(csv.read(`${header}\r\n${row!.replace(/^1,/, `${seq},`)}\r\n`).rows).toEqual([
        { ok: false, error: 'record 1: seq: must be a non-negative integer' },
      ]);
    }
  });

  it('reads the last JSONL line even without a final line end', () => {
    const rs = auditChain(2);
    const text = jsonl.write(rs);
    expect(jsonl.read(text.slice(0, -1))).toEqual(rs.map((record) => ({ ok: true, record })));
  });

  it('writes the exact bytes an auditor’s tools read: CSV columns, times, quoting and formula guard; JSONL keys in order', () => {
    const fields = {
      seq: 7,
      ts: Date.UTC(2019, 0, 2, 3, 4, 5, 6),
      wallTs: Date.UTC(2024, 5, 6, 7, 8, 9),
      hashVersion: 2 as const,
      actor: 'a=b', // a formula sign inside the text is no formula: written as is
      role: "'quoted",
      action: '-1',
      subject: 'x,"y"',
      payload: { b: [1, 'two'], a: null },
    };
    const hash = chainHash(GENESIS_HASH, fields);
    const record: AuditRecord = { ...fields, prevHash: GENESIS_HASH, hash };
    expect(csv.write([record])).toBe(
      '\uFEFF' +
        'seq,ts,time,wall_ts,wall_time,actor,role,action,subject,payload,hash_version,prev_hash,hash\r\n' +
        '7,1546398245006,2019-01-02T03:04:05.006Z,1717657689000,2024-06-06T07:08:09.000Z,' +
        `a=b,''quoted,'-1,"x,""y""","{""a"":null,""b"":[1,""two""]}",2,${GENESIS_HASH},${hash}\r\n`,
    );
    expect(jsonl.write([record])).toBe(
      `{"action":"-1","actor":"a=b","hash":"${hash}","hash_version":2,` +
        `"payload":{"a":null,"b":[1,"two"]},"prev_hash":"${GENESIS_HASH}","role":"'quoted",` +
        `"seq":7,"subject":"x,\\"y\\"","ts":1546398245006,"wall_ts":1717657689000}\n`,
    );
    expect(csv.write([])).toBe(
      '\uFEFFseq,ts,time,wall_ts,wall_time,actor,role,action,subject,payload,hash_version,prev_hash,hash\r\n',
    );
    expect(jsonl.write([])).toBe('');
  });
});
