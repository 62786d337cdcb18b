import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  API_ERRORS,
  apiErrorOf,
  codesByStatus,
  statusTable,
  type ApiErrorCode,
} from '../../../src/api/error-catalogue.js';
import { ROOT } from '../../support/run-cli.js';

const DOC = readFileSync(path.join(ROOT, 'docs/errors.md'), 'utf8');
const BEGIN = /<!-- api-status-table:begin[^>]*-->\n/;
const END = '\n<!-- api-status-table:end -->';

/** The generated block of `docs/errors.md`, and the document without it. */
function split(doc: string): { generated: string; rest: string } {
  const begin = BEGIN.exec(doc);
  const end = doc.indexOf(END);
  if (!begin || end < begin.index) throw new Error('docs/errors.md: no api-status-table block');
  const from = begin.index + begin[0].length;
  return { generated: doc.slice(from, end), rest: doc.slice(0, begin.index) + doc.slice(end) };
}

/** Every table row of hand-written Markdown: the codes of its first cell and its other cells. */
function rows(markdown: string): { codes: string[]; cells: string[] }[] {
  return markdown
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|[-| ]+\|$/.test(line))
    .map((line) => {
      const [first = '', ...cells] = line.slice(1, -1).split('|');
      return { codes: [...first.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!), cells };
    })
    .filter((r) => r.codes.length > 0);
}

/** The HTTP statuses a row gives: a status cell, or `(…NNN…)` in its text. */
function statusesOf(cells: readonly string[]): number[] {
  const statusCell = cells.map((c) => c.trim()).find((c) => /^[45][0-9]{2}$/.test(c));
  if (statusCell) return [Number(statusCell)];
  const said = cells.join(' ').matchAll(/\(([^()]*)\)/g);
  return [...said].flatMap((m) =>
    [...m[1]!.matchAll(/\b([45][0-9]{2})\b/g)].map((n) => Number(n[1])),
  );
}

describe('the API error catalogue and docs/errors.md', () => {
  it('the HTTP status table of docs/errors.md is the one the catalogue generates', () => {
    const { generated } = split(DOC);
    // On a failure, paste the expected table between the markers.
    expect(generated).toBe(statusTable());
  });

  it('the table lists every code once, under its status', () => {
    const listed = [...codesByStatus()].flatMap(([status, codes]) =>
      codes.map((code) => [code, status] as const),
    );
    expect(listed).toHaveLength(Object.keys(API_ERRORS).length);
    for (const [code, status] of listed) expect(API_ERRORS[code].status).toBe(status);
    expect([...codesByStatus().keys()]).toEqual(
      [...new Set(Object.values(API_ERRORS).map((e) => e.status))].sort((a, b) => a - b),
    );
  });

  it('every code of the catalogue has a hand-written row saying what it means', () => {
    const documented = new Set(rows(split(DOC).rest).flatMap((r) => r.codes));
    const missing = Object.keys(API_ERRORS).filter((code) => !documented.has(code));
    expect(missing).toEqual([]);
  });

  it('every hand-written row that gives a status for a code of the catalogue gives its status', () => {
    const wrong: string[] = [];
    for (const { codes, cells } of rows(split(DOC).rest)) {
      const statuses = statusesOf(cells);
      for (const code of codes.filter((c) => Object.hasOwn(API_ERRORS, c))) {
        const { status } = API_ERRORS[code as ApiErrorCode];
        for (const said of statuses)
          if (said !== status) wrong.push(`${code}: ${said} ≠ ${status}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('a row of the API answers table names only codes of the catalogue', () => {
    const api = split(DOC).rest.split('## API answers')[1]!.split('\n## ')[0]!;
    const unknown = rows(api)
      .flatMap((r) => r.codes)
      .filter((code) => !Object.hasOwn(API_ERRORS, code));
    expect(unknown).toEqual([]);
  });

  it('every reason the gate or the order checks deny with answers 422 (the venue order rate: 429)', () => {
    const dirs = ['src/trading/risk', 'src/trading/model'].map((d) => path.join(ROOT, d));
    const reasons = new Set(
      dirs.flatMap((dir) =>
        readdirSync(dir)
          .filter((f) => f.endsWith('.ts'))
          .flatMap((f) => [
            ...readFileSync(path.join(dir, f), 'utf8').matchAll(/\bReason\.([A-Z_]+)/g),
          ])
          .map((m) => m[1]!),
      ),
    );
    expect(reasons.size).toBeGreaterThan(10);
    expect(reasons).toContain('VENUE_ORDER_RATE');
    // The venue's order rate is a 429 wherever it refuses: at order entry, or at the gate.
    for (const reason of reasons)
      expect([reason, apiErrorOf(reason).status]).toEqual([
        reason,
        reason === 'VENUE_ORDER_RATE' ? 429 : 422,
      ]);
  });

  it('answers 400 with a generic title for a code it does not list', () => {
    expect(apiErrorOf('SNAPSHOT_INVALID')).toEqual({ status: 400, title: 'Bad request' });
    expect(apiErrorOf('STORE_UNAVAILABLE')).toEqual({ status: 503, title: 'Database unavailable' });
    expect(apiErrorOf('toString')).toEqual({ status: 400, title: 'Bad request' });
    expect(apiErrorOf('FORBIDDEN')).toEqual({ status: 403, title: 'Forbidden' });
  });
});
