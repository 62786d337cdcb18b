import { readFileSync } from 'node:fs';
import {
  can,
  isRole,
  PERMISSIONS,
  ROLE_PERMISSIONS,
  ROLES,
} from '../../../../src/security/roles/permissions.js';
import type { Permission } from '../../../../src/security/roles/permissions.js';

const ALL = Object.keys(PERMISSIONS) as Permission[];

/** The rows of the markdown table whose header starts `| permission |`, as trimmed cells. */
function permissionTable(markdown: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => /^\|\s*permission\s*\|/.test(l));
  if (start < 0) throw new Error('docs/security.md has no "| permission |" table');
  const rows: string[][] = [];
  for (const line of lines.slice(start)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  }
  return rows;
}

describe('permissions', () => {
  it('separates duties: auditors and admins never trade, traders never change limits', () => {
    for (const p of ALL.filter((p) => !p.endsWith(':read'))) {
      if (p !== 'audit:export') expect(can('auditor', p)).toBe(false);
    }
    for (const p of ['orders:write', 'risk:write', 'risk:resume', 'strategies:deploy'] as const) {
      expect(can('admin', p)).toBe(false);
    }
    expect(can('trader', 'orders:write')).toBe(true);
    expect(can('trader', 'risk:write')).toBe(false);
    expect(can('trader', 'risk:resume')).toBe(false);
    expect(can('quant', 'strategies:deploy')).toBe(true);
    expect(can('quant', 'strategies:promote')).toBe(false);
    expect(can('risk', 'strategies:promote')).toBe(true);
    expect(can('admin', 'users:admin')).toBe(true);
    expect(ROLES.filter((r) => can(r, 'users:admin'))).toEqual(['admin']);
    // Each stores their own keys (a live account's); the routes scope them to their owner.
    expect(ROLES.filter((r) => can(r, 'credentials:write'))).toEqual(['admin', 'trader', 'quant']);
    expect(can('auditor', 'credentials:read')).toBe(false);
    expect(can('risk', 'credentials:write')).toBe(false);
  });

  it('denies unknown roles and permissions', () => {
    expect(can('root', 'orders:write')).toBe(false);
    expect(can('admin', 'everything')).toBe(false);
    expect(can('__proto__', 'constructor')).toBe(false);
    expect(isRole('trader')).toBe(true);
    expect(isRole('root')).toBe(false);
    expect(isRole(undefined)).toBe(false);
  });

  it('the matrix only names known permissions, each once', () => {
    for (const r of ROLES) {
      expect(new Set(ROLE_PERMISSIONS[r]).size).toBe(ROLE_PERMISSIONS[r].length);
      for (const p of ROLE_PERMISSIONS[r]) expect(ALL).toContain(p);
    }
  });

  it('docs/security.md shows exactly this matrix, every role × permission', () => {
    const doc = new URL('../../../../docs/security.md', import.meta.url);
    const rows = permissionTable(readFileSync(doc, 'utf8'));
    const [header, rule, ...body] = rows;
    expect(header).toEqual(['permission', 'allows', ...ROLES]);
    expect(rule?.every((c) => /^:?-+:?$/.test(c))).toBe(true);
    expect(body.map((r) => r[0])).toEqual(ALL.map((p) => `\`${p}\``));
    for (const [i, p] of ALL.entries()) {
      expect(body[i]).toEqual([
        `\`${p}\``,
        PERMISSIONS[p],
        ...ROLES.map((r) => (can(r, p) ? '✓' : '–')),
      ]);
    }
  });
});
