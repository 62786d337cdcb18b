import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { writeFilesAtomically } from '../../../src/cli/write-files-atomically.js';
import { tempDir } from '../../support/temp-dir.js';

const tmp = () => tempDir('kairos-atomic-');

/** Chunks that break (as a kill or a full disk would) after `n` of them. */
function* breaksAfter(chunks: string[], n: number): Iterable<string> {
  for (let i = 0; i < chunks.length; i++) {
    if (i === n) throw new Error('interrupted');
    yield chunks[i]!;
  }
}

describe('writeFilesAtomically', () => {
  it('writes every file at its final name', async () => {
    const dir = tmp();
    await writeFilesAtomically(dir, [
      { name: 'report.json', data: '{"a":1}\n' },
      { name: 'report.html', data: ['<html>', '</html>'] },
    ]);
    expect(readFileSync(path.join(dir, 'report.json'), 'utf8')).toBe('{"a":1}\n');
    expect(readFileSync(path.join(dir, 'report.html'), 'utf8')).toBe('<html></html>');
    expect(readdirSync(dir).sort()).toEqual(['report.html', 'report.json']);
  });

  it('leaves the previous files whole when a write breaks at any point, in either file', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 6 }),
        fc.nat(6),
        fc.boolean(),
        async (chunks, breakAt, inSecond) => {
          const dir = tmp();
          writeFileSync(path.join(dir, 'report.json'), 'old json');
          writeFileSync(path.join(dir, 'report.html'), 'old html');
          const broken = breaksAfter(chunks, Math.min(breakAt, chunks.length - 1));
          await expect(
            writeFilesAtomically(dir, [
              { name: 'report.json', data: inSecond ? chunks.join('') : broken },
              { name: 'report.html', data: inSecond ? broken : 'new html' },
            ]),
          ).rejects.toThrow('interrupted');
          expect(readFileSync(path.join(dir, 'report.json'), 'utf8')).toBe('old json');
          expect(readFileSync(path.join(dir, 'report.html'), 'utf8')).toBe('old html');
          expect(readdirSync(dir).sort()).toEqual(['report.html', 'report.json']);
        },
      ),
      { numRuns: 40 },
    );
  });
});
