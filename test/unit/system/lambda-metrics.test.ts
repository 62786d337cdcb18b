import { MemoryMetrics } from '../../../src/monitoring/memory-metrics.js';
import { countedInvoke } from '../../../src/system/lambda-metrics.js';
import { KairosError } from '../../../src/trading/core/errors.js';

describe('countedInvoke', () => {
  it('counts invocations by result and times each, answers and errors unchanged', async () => {
    const metrics = new MemoryMetrics();
    const answers: (() => Promise<string>)[] = [
      () => Promise.resolve('{"ok":1}'),
      () => Promise.reject(new KairosError('LAMBDA_TIMEOUT', 'timed out')),
      () => Promise.reject(new KairosError('LAMBDA_THROTTLED', 'slow down')),
      () => Promise.reject(new KairosError('LAMBDA_FUNCTION_ERROR', 'boom')),
      () => Promise.reject(new Error('socket hang up')),
    ];
    let i = 0;
    const invoke = countedInvoke(() => answers[i++]!(), metrics);
    expect(await invoke('{}')).toBe('{"ok":1}');
    await expect(invoke('{}')).rejects.toThrow('timed out');
    await expect(invoke('{}')).rejects.toThrow('slow down');
    await expect(invoke('{}')).rejects.toThrow('boom');
    await expect(invoke('{}')).rejects.toThrow('socket hang up');
    const count = (result: string) => metrics.value('kairos_lambda_invocations_total', { result });
    expect([count('ok'), count('timeout'), count('throttled'), count('error')]).toEqual([
      1, 1, 1, 2,
    ]);
    expect(metrics.histogramValue('kairos_lambda_invocation_duration_seconds')?.count).toBe(5);
  });
});
