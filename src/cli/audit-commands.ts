import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { isS3Url } from '../cloud/s3-url.js';
import type { ExportSource } from '../security/audit/export-store.js';
import { PUBLIC_KEY_FILE } from '../security/audit/local-signer.js';
import { verifyExport, type VerifyReport } from '../security/audit/verify.js';
import { exportAuditRange } from '../system/audit-export.js';
import { openConfiguredStore } from '../system/open-configured-store.js';
import { KairosError } from '../trading/core/errors.js';
import { actorOf, actorOption, cliConfig } from './cli-config.js';
import { numberFlag } from './parse-flags.js';

interface ExportFlags {
  from: string;
  to?: string;
  out: string;
  actor?: string;
  /** false with `--no-lock`. */
  lock: boolean;
  retainDays?: string;
}

function isoFlag(flag: string, value: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) {
    throw new KairosError(
      'USAGE',
      `${flag}: must be an ISO-8601 time such as 2024-01-01T00:00:00Z, was ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

async function runExport(flags: ExportFlags): Promise<void> {
  const from = isoFlag('--from', flags.from);
  // Without --to, everything recorded so far (the rows of a day still running).
  const to = flags.to === undefined ? Date.now() + 1 : isoFlag('--to', flags.to);
  if (from >= to) throw new KairosError('USAGE', '--to: must be after --from');
  const retainDays =
    flags.retainDays === undefined
      ? undefined
      : numberFlag('--retain-days', flags.retainDays, { integer: true, max: 36_500 });
  if (retainDays === 0) throw new KairosError('USAGE', '--retain-days: must be at least 1');
  const config = cliConfig();
  // An s3:// URL is checked (and the bucket's Object Lock read) before the database is opened.
  const target = isS3Url(flags.out)
    ? (await import('../system/object-stores.js')).openObjectStore(flags.out, config.objectStore)
    : undefined;
  const store = await openConfiguredStore(config);
  try {
    const { out, manifest } = await exportAuditRange(store.db, {
      from,
      to,
      out: flags.out,
      keysDir: path.join(config.home, 'keys'),
      by: { actor: actorOf(flags), role: 'cli' },
      ...(target ? { store: target } : {}),
      noLock: !flags.lock,
      ...(retainDays !== undefined ? { retainDays } : {}),
    });
    const seqs = manifest.rowCount > 0 ? `, seq ${manifest.firstSeq}…${manifest.lastSeq}` : '';
    process.stdout.write(
      `exported ${manifest.rowCount} row(s)${seqs} to ${out}\n` +
        manifest.files
          .map(
            (f) =>
              `  ${f.name}  sha256 ${f.sha256}${f.versionId ? `  version ${f.versionId}` : ''}\n`,
          )
          .join('') +
        `  manifest.json  signed Ed25519 by key ${manifest.signature.keyId}\n` +
        (manifest.objectLock
          ? `  Object Lock ${manifest.objectLock.mode} until ${manifest.objectLock.retainUntil}\n`
          : '') +
        `verify with: kairos audit verify ${out} --public-key ${path.join(config.home, 'keys', PUBLIC_KEY_FILE)}\n`,
    );
  } finally {
    await store.close();
  }
}

async function runVerify(
  dir: string,
  flags: { publicKey?: string; json?: boolean },
): Promise<void> {
  const keyFile = flags.publicKey ?? path.join(cliConfig().home, 'keys', PUBLIC_KEY_FILE);
  let pem: string;
  try {
    pem = await readFile(keyFile, 'utf8');
  } catch (e) {
    throw new KairosError(
      'AUDIT_KEY_MISSING',
      `--public-key: cannot read ${keyFile} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pass the signer's public key`,
      { cause: e },
    );
  }
  let source: string | ExportSource = path.resolve(dir);
  if (isS3Url(dir)) {
    const { exportSource, openObjectStore } = await import('../system/object-stores.js');
    source = exportSource(openObjectStore(dir, cliConfig().objectStore));
  }
  const report = await verifyExport(source, pem);
  process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : describe(report));
  // Exit 1: the export is not intact (2 is kept for bad usage and infrastructure errors).
  if (!report.ok) process.exitCode = 1;
}

function describe(r: VerifyReport): string {
  const m = r.manifest;
  const lines: string[] = [];
  if (m) {
    const seqs = m.rowCount > 0 ? `, seq ${m.firstSeq}…${m.lastSeq}` : '';
    lines.push(`export ${m.from} … ${m.to}: ${m.rowCount} row(s)${seqs}`);
  }
  lines.push(`public key ${r.keyId}`);
  if (r.ok) {
    lines.push('OK: signature valid, every file matches its hash, the chain is intact');
  } else {
    if (r.firstBad) {
      lines.push(
        `FAILED: first bad seq ${r.firstBad.seq} (${r.firstBad.kind}) in ${r.firstBad.file}: ${r.firstBad.detail}`,
      );
    } else {
      lines.push('FAILED');
    }
    for (const p of r.problems) {
      const seq = p.seq !== undefined ? ` seq ${p.seq}` : '';
      lines.push(`  - ${p.kind}${p.file ? ` [${p.file}]` : ''}${seq}: ${p.message}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Registers `kairos audit export` and `kairos audit verify`. */
export function registerAudit(program: Command): void {
  const audit = program
    .command('audit')
    .description('the tamper-evident audit log: export a time range, verify an export offline');
  audit
    .command('export')
    .description(
      'write the rows recorded in [--from, --to) (wall time, whatever market time a replayed run ' +
        'stamped) as JSONL + CSV + a signed manifest into --out (a folder or s3://bucket/prefix)',
    )
    .requiredOption('--from <iso>', 'first instant, ISO-8601 (inclusive), e.g. 2026-12-03')
    .option('--to <iso>', 'end instant, ISO-8601 (exclusive); default: now')
    .requiredOption(
      '--out <dir|s3-url>',
      'export folder, or s3://bucket/prefix (Object Lock COMPLIANCE); files are never overwritten',
    )
    .option('--no-lock', 'allow an S3 bucket without Object Lock (the export is then not WORM)')
    .option(
      '--retain-days <n>',
      'Object Lock retention in days (default: the bucket default, else 2557 = 7 years)',
    )
    .option(...actorOption('who exports (recorded)'))
    .action((flags: ExportFlags) => runExport(flags));
  audit
    .command('verify')
    .description(
      'check an export offline: signature, file hashes, and the hash chain (exit 1 if bad)',
    )
    .argument('<dir|s3-url>', 'export folder, or s3://bucket/prefix (read back from S3)')
    .option(
      '--public-key <file>',
      `signer's public key (default $KAIROS_HOME/keys/${PUBLIC_KEY_FILE})`,
    )
    .option('--json', 'print the report as JSON')
    .action((dir: string, flags: { publicKey?: string; json?: boolean }) => runVerify(dir, flags));
}
