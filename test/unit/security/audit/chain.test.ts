import { createHash } from 'node:crypto';
import type { AuditRecord } from '../../../../src/security/audit/audit-record.js';
import fc from 'fast-check';
import {
  canonicalJson,
  MAX_JSON_DEPTH,
  mayHoldUnstorable,
  storableJson,
  type JsonValue,
} from '../../../../src/security/audit/canonical.js';
import {
  canonicalRow,
  chainHash,
  chainHashWith,
  GENESIS_HASH,
} from '../../../../src/security/audit/chain.js';
import { firstBreak, type ReadRow } from '../../../../src/security/audit/first-break.js';
import { KairosError } from '../../../../src/trading/core/errors.js';
import { BINARY_UNIT, binaryString } from '../../../support/binary-string.js';
import { auditChain } from './audit-chain.js';

const ok = (records: readonly AuditRecord[]): ReadRow[] =>
  records.map((record) => ({ ok: true, record }));

describe('canonicalJson', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [true, null, 'x'], c: -0.5 }, e: undefined })).toBe(
      '{"a":{"c":-0.5,"d":[true,null,"x"]},"b":1}',
    );
    expect(canonicalJson({ é: 1, z: 2, A: 3 })).toBe('{"A":3,"z":2,"é":1}');
  });

  it('writes any JSON value as JCS does: keys sorted at every depth, undefined members left out', () => {
    // An independent reference: JSON.stringify of each scalar, keys sorted by UTF-16 code unit.
    const reference = (v: unknown): string => {
      if (v === null || typeof v !== 'object') return JSON.stringify(v);
      if (Array.isArray(v)) return `[${v.map(reference).join(',')}]`;
      const o = v as Record<string, unknown>;
      return `{${Object.keys(o)
        .sort()
        .filter((k) => o[k] !== undefined)
        .map((k) => `${JSON.stringify(k)}:${reference(o[k])}`)
        .join(',')}}`;
    };
    const json = fc.jsonValue({ maxDepth: 4, stringUnit: BINARY_UNIT });
    const withUndefined = fc.dictionary(fc.string(), fc.option(json, { nil: undefined }));
    fc.assert(
      fc.property(fc.oneof(json, withUndefined, fc.array(withUndefined)), (v) => {
        expect(canonicalJson(v)).toBe(reference(v));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses what JSON cannot carry, naming the path', () => {
    expect(() => canonicalJson({ a: [1, NaN] })).toThrow('$.a[1]: NaN is not a JSON number');
    expect(() => canonicalJson({ when: new Date(0) })).toThrow('$.when: only plain objects');
    expect(() => canonicalJson({ n: 1n })).toThrow('$.n: a bigint is not JSON');
    expect(() => canonicalJson({ ok: [1, 'x'], deep: [{ f: () => 1 }] })).toThrow(
      '$.deep[0].f: a function is not JSON',
    );
    expect(() => canonicalJson([1, undefined])).toThrow('$[1]: a undefined is not JSON');
  });

  it('writes arrays and objects nested up to MAX_JSON_DEPTH deep, counting where the value sits, and refuses one level more', () => {
    // `levels` arrays and objects, alternating, innermost empty; the path to the innermost one.
    const nested = (levels: number): { value: unknown; path: string } => {
      let value: unknown = levels % 2 ? [] : {};
      let path = '';
      for (let i = levels - 1; i >= 1; i--) {
        value = i % 2 ? [value] : { k: value };
        path = (i % 2 ? '[0]' : '.k') + path;
      }
      return { value, path };
    };
    expect(MAX_JSON_DEPTH).toBe(128);
    const max = nested(MAX_JSON_DEPTH);
    expect(canonicalJson(max.value)).toBe(JSON.stringify(max.value));
    const over = nested(MAX_JSON_DEPTH + 1);
    expect(() => canonicalJson(over.value)).toThrow(
      new KairosError(
        'AUDIT_ENTRY_INVALID',
        `$${over.path}: nested deeper than ${MAX_JSON_DEPTH} arrays and objects`,
      ),
    );
    // A value written one level down (a row's payload) has one level less.
    expect(() => canonicalJson(max.value, 'payload', 1)).toThrow(
      `payload${max.path}: nested deeper than ${MAX_JSON_DEPTH} arrays and objects`,
    );
    const below = nested(MAX_JSON_DEPTH - 1);
    expect(canonicalJson(below.value, 'payload', 1)).toBe(JSON.stringify(below.value));
    // Scalars at the deepest level are no level of their own; and a crafted depth is refused,
    // never a stack overflow.
    expect(canonicalJson(JSON.parse(`${'['.repeat(127)}[1,"x",null,true]${']'.repeat(127)}`))).toBe(
      `${'['.repeat(127)}[1,"x",null,true]${']'.repeat(127)}`,
    );
    expect(() => canonicalJson(JSON.parse(`${'['.repeat(50_000)}${']'.repeat(50_000)}`))).toThrow(
      `$${'[0]'.repeat(128)}: nested deeper than ${MAX_JSON_DEPTH} arrays and objects`,
    );
  });

  it('writes a hole in an array as nothing, as before, and finds no error in one', () => {
    // eslint-disable-next-line no-sparse-arrays -- the hole is the point
    const holed = [1, , 2];
    expect(canonicalJson(holed)).toBe('[1,,2]');
    // eslint-disable-next-line no-sparse-arrays -- a hole, then what JSON cannot carry
    expect(() => canonicalJson([, NaN])).toThrow('$[1]: NaN is not a JSON number');
  });

  it('names the first thing JSON cannot carry, in written order, as AUDIT_ENTRY_INVALID', () => {
    // Where canonicalJson must stop: keys sorted, undefined members and holes skipped, every
    // JSON scalar passed over (an independent walk of the rules in its comment).
    const firstBad = (v: unknown, p: string): string | null => {
      if (typeof v === 'number') return Number.isFinite(v) ? null : p;
      if (v === null || typeof v === 'boolean' || typeof v === 'string') return null;
      if (typeof v !== 'object') return p;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const bad = i in v ? firstBad(v[i], `${p}[${i}]`) : null;
          if (bad) return bad;
        }
        return null;
      }
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) return p;
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o).sort()) {
        const bad = o[k] === undefined ? null : firstBad(o[k], `${p}.${k}`);
        if (bad) return bad;
      }
      return null;
    };
    const notJson = fc.constantFrom<unknown>(NaN, Infinity, -Infinity, 1n, () => 1, new Date(0));
    const scalar = fc.oneof(
      fc.boolean(),
      fc.string({ maxLength: 3 }),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constant(null),
    );
    const { value } = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        { arbitrary: scalar, weight: 6 },
        { arbitrary: notJson, weight: 1 },
        { arbitrary: fc.array(tie('value'), { maxLength: 4 }), weight: 2 },
        { arbitrary: fc.sparseArray(tie('value'), { maxLength: 4 }), weight: 1 },
        {
          arbitrary: fc.dictionary(
            fc.constantFrom('a', 'b', 'c', 'B', 'é', '10', '9'),
            fc.option(tie('value'), { nil: undefined, freq: 4 }),
            { maxKeys: 5 },
          ),
          weight: 3,
        },
      ),
    }));
    let refused = 0;
    fc.assert(
      fc.property(value, (v) => {
        const bad = firstBad(v, '$');
        let error: unknown = null;
        try {
          canonicalJson(v);
        } catch (e) {
          error = e;
        }
        if (bad === null) return error === null;
        refused++;
        const { code, message } = error as { code?: string; message?: string };
        return code === 'AUDIT_ENTRY_INVALID' && message?.startsWith(`${bad}: `) === true;
      }),
      { numRuns: 500 },
    );
    expect(refused).toBeGreaterThan(50);
    // Written order, not insertion order; undefined members are not errors.
    expect(() => canonicalJson({ b: NaN, a: Infinity })).toThrow('$.a: Infinity');
    expect(() => canonicalJson({ a: undefined, b: [true, 'x', 1, null, NaN] })).toThrow(
      '$.b[4]: NaN is not a JSON number',
    );
  });
});

describe('chainHash', () => {
  it('is SHA-256 of the previous hash (hex text) then the canonical row', () => {
    const row = {
      seq: 1,
      ts: 5,
      wallTs: 5,
      hashVersion: 1 as const,
      actor: 'a',
      role: 'r',
      action: 'x',
      subject: 's',
      payload: {},
    };
    const canonical =
      '{"action":"x","actor":"a","payload":{},"role":"r","seq":1,"subject":"s","ts":5}';
    const expected = createHash('sha256')
      .update(GENESIS_HASH + canonical)
      .digest('hex');
    expect(chainHash(GENESIS_HASH, row)).toBe(expected);
    expect(chainHash(GENESIS_HASH, { ...row, payload: { k: 1 } })).not.toBe(expected);
  });

  it('covers the wall time and the hash version in a version 2 row, so neither can change unseen', () => {
    const row = {
      seq: 1,
      ts: Date.UTC(2019, 0, 1),
      wallTs: Date.UTC(2026, 11, 3),
      hashVersion: 2 as const,
      actor: 'a',
      role: 'r',
      action: 'x',
      subject: 's',
      payload: {},
    };
    expect(canonicalRow(row)).toBe(
      '{"action":"x","actor":"a","hash_version":2,"payload":{},"role":"r","seq":1,' +
        '"subject":"s","ts":1546300800000,"wall_ts":1796256000000}',
    );
    const hash = chainHash(GENESIS_HASH, row);
    expect(chainHash(GENESIS_HASH, { ...row, wallTs: row.wallTs + 1 })).not.toBe(hash);
    // Passed off as a version 1 row (whose hash leaves the wall time out), it no longer matches.
    expect(chainHash(GENESIS_HASH, { ...row, hashVersion: 1 })).not.toBe(hash);
  });
});

describe('firstBreak', () => {
  const rows = auditChain(8);
  const expect8 = { firstSeq: 1, anchorHash: GENESIS_HASH, count: 8, lastHash: rows[7]!.hash };

  it('accepts an intact chain, and a slice of it anchored on the row before', () => {
    expect(firstBreak(ok(rows), expect8)).toBeNull();
    const slice = rows.slice(3, 6);
    expect(
      firstBreak(ok(slice), {
        firstSeq: 4,
        anchorHash: rows[2]!.hash,
        count: 3,
        lastHash: rows[5]!.hash,
      }),
    ).toBeNull();
  });

  it('names a changed row', () => {
    const changed = rows.map((r) => (r.seq === 4 ? { ...r, actor: 'mallory' } : r));
    expect(firstBreak(ok(changed), expect8)).toMatchObject({ seq: 4, kind: 'changed' });
  });

  it('names the row before when a changed row was re-hashed', () => {
    const changed = rows.map((r) => {
      if (r.seq !== 4) return r;
      const forged = { ...r, actor: 'mallory' };
      return { ...forged, hash: chainHash(r.prevHash, forged) };
    });
    expect(firstBreak(ok(changed), expect8)).toMatchObject({ seq: 4, kind: 'changed' });
  });

  it('names a renumbered row', () => {
    const changed = rows.map((r) => (r.seq === 4 ? { ...r, seq: 9 } : r));
    expect(firstBreak(ok(changed), expect8)).toMatchObject({ seq: 4, kind: 'changed' });
  });

  it('names a deleted row, in the middle and at either end', () => {
    expect(firstBreak(ok(rows.filter((r) => r.seq !== 5)), expect8)).toMatchObject({
      seq: 5,
      kind: 'deleted',
    });
    expect(firstBreak(ok(rows.slice(1)), expect8)).toMatchObject({ seq: 1, kind: 'deleted' });
    expect(firstBreak(ok(rows.slice(0, 7)), expect8)).toMatchObject({ seq: 8, kind: 'deleted' });
  });

  it('names an inserted row, forged or not', () => {
    const fake = { ...rows[2]!, actor: 'mallory' };
    const withFake = [...rows.slice(0, 3), fake, ...rows.slice(3)];
    expect(firstBreak(ok(withFake), expect8)).toMatchObject({ seq: 4, kind: 'inserted' });
    // A forged row that links correctly, claiming seq 4: the real seq 4 then repeats it.
    const forged = { ...rows[3]!, actor: 'mallory' };
    const linked = { ...forged, hash: chainHash(forged.prevHash, forged) };
    const withLinked = [...rows.slice(0, 3), linked, ...rows.slice(3)];
    expect(firstBreak(ok(withLinked), expect8)).toMatchObject({ seq: 4, kind: 'inserted' });
    const extra = { ...rows[7]!, seq: 9, prevHash: rows[7]!.hash };
    const appended = [...rows, { ...extra, hash: chainHash(extra.prevHash, extra) }];
    expect(firstBreak(ok(appended), expect8)).toMatchObject({ seq: 9, kind: 'inserted' });
  });

  it('names reordered rows', () => {
    const swapped = [...rows.slice(0, 2), rows[5]!, rows[3]!, rows[4]!, rows[2]!, ...rows.slice(6)];
    expect(firstBreak(ok(swapped), expect8)).toMatchObject({ seq: 3, kind: 'reordered' });
    const adjacent = [...rows.slice(0, 3), rows[4]!, rows[3]!, ...rows.slice(5)];
    expect(firstBreak(ok(adjacent), expect8)).toMatchObject({ seq: 4, kind: 'reordered' });
  });

  it('names an unreadable row as changed', () => {
    const read: ReadRow[] = ok(rows);
    read[6] = { ok: false, error: 'line 7: not JSON' };
    expect(firstBreak(read, expect8)).toMatchObject({
      seq: 7,
      kind: 'changed',
      detail: 'line 7: not JSON',
    });
  });

  it('names a row whose wall time was changed, whichever hash version it has', () => {
    const moved = rows.map((r) => (r.seq === 3 ? { ...r, wallTs: r.wallTs - 86_400_000 } : r));
    expect(firstBreak(ok(moved), expect8)).toMatchObject({
      seq: 3,
      kind: 'changed',
      detail: 'seq 3 does not hash to its hash',
    });
    // A version 1 row's hash leaves the wall time out: it must then equal the row's ts.
    const old = auditChain(3, { hashVersion: 1, wallTs: 0 }).map((r) => ({ ...r, wallTs: r.ts }));
    const oldExpect = { firstSeq: 1, anchorHash: GENESIS_HASH, count: 3, lastHash: old[2]!.hash };
    expect(firstBreak(ok(old), oldExpect)).toBeNull();
    const oldMoved = old.map((r) => (r.seq === 2 ? { ...r, wallTs: r.ts + 1 } : r));
    expect(firstBreak(ok(oldMoved), oldExpect)).toMatchObject({
      seq: 2,
      kind: 'changed',
      detail: 'seq 2 is a version 1 row, so its wall_ts must equal its ts',
    });
  });

  it('notices a chain recomputed from some row on: the signed last hash differs', () => {
    const rebuilt = auditChain(8, { actor: 'mallory' });
    expect(firstBreak(ok(rebuilt), expect8)).toMatchObject({ kind: 'changed' });
  });
});

describe('chainHashWith (a row whose payload is written already)', () => {
  it('gives chainHash for any row, hostile strings included', () => {
    const text = binaryString({ maxLength: 12 });
    const json = fc.jsonValue({ maxDepth: 3 });
    fc.assert(
      fc.property(
        fc.record({
          seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
          ts: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
          wallTs: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
          hashVersion: fc.constantFrom(1 as const, 2 as const),
          actor: text,
          role: text,
          action: text,
          subject: text,
          payload: fc.oneof(json, fc.dictionary(text, json)),
        }),
        (row) => {
          const payload = JSON.parse(JSON.stringify(row.payload)) as JsonValue;
          const r = { ...row, payload };
          expect(chainHashWith(GENESIS_HASH, r, canonicalJson(payload))).toBe(
            chainHash(GENESIS_HASH, r),
          );
        },
      ),
    );
  });
});

describe('mayHoldUnstorable', () => {
  it('is true whenever storableText would change a string of the value', () => {
    fc.assert(
      fc.property(fc.dictionary(binaryString(), binaryString()), (v) => {
        const changes = JSON.stringify(storableJson(v)) !== JSON.stringify(v);
        if (changes) expect(mayHoldUnstorable(JSON.stringify(v))).toBe(true);
      }),
    );
    expect(mayHoldUnstorable(JSON.stringify({ a: 'x\u0000' }))).toBe(true);
    expect(mayHoldUnstorable(JSON.stringify({ a: '\ud800' }))).toBe(true);
    expect(mayHoldUnstorable(JSON.stringify({ a: '\ud83d\ude00 \u00e9' }))).toBe(false);
  });
});
