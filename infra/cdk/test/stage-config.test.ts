import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseStageConfigs, StageConfigError } from '../lib/stage-config.js';
import { CONFIG_FILE } from './fixture.js';

const good = () => JSON.parse(readFileSync(CONFIG_FILE, 'utf8'));
const errorOf = (edit: (c: Record<string, Record<string, unknown>>) => void): string => {
  const c = good();
  edit(c);
  try {
    parseStageConfigs(c);
  } catch (e) {
    expect(e).toBeInstanceOf(StageConfigError);
    return (e as Error).message;
  }
  throw new Error('no error');
};

describe('stage config', () => {
  it('reads both stages of the shipped file', () => {
    const stages = parseStageConfigs(good());
    expect(stages.prod.audit.objectLockRetentionDays).toBe(2555);
    expect(stages.dev.service.minTasks).toBe(2);
  });

  it('names the missing or bad key in one line', () => {
    expect(errorOf((c) => delete c.prod)).toBe('stage config prod: is missing');
    expect(
      errorOf((c) => delete (c.prod?.database as Record<string, unknown>).backupRetentionDays),
    ).toBe('stage config prod.database.backupRetentionDays: is missing');
    expect(errorOf((c) => ((c.dev?.service as Record<string, unknown>).minTasks = 1))).toBe(
      'stage config dev.service.minTasks: must be an integer 2-100, was 1',
    );
    expect(errorOf((c) => ((c.dev as Record<string, unknown>).region = 'Europe'))).toMatch(
      /^stage config dev\.region: must be a region such as eu-west-1, was "Europe"$/,
    );
    expect(errorOf((c) => ((c.prod as Record<string, unknown>).natGatway = 1))).toBe(
      'stage config prod.natGatway: is not a known setting',
    );
    expect(errorOf((c) => ((c.prod?.service as Record<string, unknown>).memoryMiB = 512))).toBe(
      'stage config prod.service.memoryMiB: must be an integer 2048-8192, was 512',
    );
  });

  it('fails synth with that line and exit code 1', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kairos-stages-'));
    const file = path.join(dir, 'stages.json');
    const c = good();
    c.prod.audit = {};
    writeFileSync(file, JSON.stringify(c));
    const app = path.join(path.dirname(fileURLToPath(import.meta.url)), '../bin/app.ts');
    const r = spawnSync(process.execPath, ['--import', 'tsx', app], {
      env: { ...process.env, KAIROS_STAGES_FILE: file, CDK_OUTDIR: path.join(dir, 'out') },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('stage config prod.audit.objectLockRetentionDays: is missing');
  });
});
