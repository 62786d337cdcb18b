import { apiCall } from './api-call.js';

/**
 * The accounts an instance says it owns (`GET /health/ready`, check `ownership`), or undefined
 * when it does not answer with that check.
 */
export async function ownedAccounts(url: string): Promise<string[] | undefined> {
  const r = await apiCall(url, 'GET', '/health/ready').catch(() => null);
  const checks = (r?.json?.checks ?? []) as { name: string; detail?: string }[];
  const detail = checks.find((c) => c.name === 'ownership')?.detail;
  const m = detail && /owns \d+ of \d+ accounts \(\d+ live instances\): (.*)$/.exec(detail);
  return m ? m[1]!.split(', ').filter((s) => s !== '') : undefined;
}
