import type { ExecutionClient } from '../../../../src/trading/execution/execution-client.js';
import type { OrderJournal } from '../../../../src/trading/live/order-journal.js';
import {
  WriteAheadClient,
  type Failpoint,
} from '../../../../src/trading/live/write-ahead-client.js';
import { newOrder } from '../../../support/builders.js';

/**
 * A journal whose commits the test ends: `durable()` answers for everything journaled so far,
 * `commit(i)` makes the i-th such answer durable (or failed).
 */
function journal() {
  const waits: { resolve(): void; reject(e: Error): void }[] = [];
  const port = {
    durable: () =>
      new Promise<void>((resolve, reject) => {
        waits.push({ resolve, reject });
      }),
  } as unknown as OrderJournal;
  return { port, waits };
}

/** Lets every promise callback queued so far run. */
async function drain(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

function setUp() {
  const j = journal();
  const log: string[] = [];
  const venue: ExecutionClient = {
    submit: (o, ts) => void log.push(`submit ${o.clientOrderId} @${ts}`),
    cancel: (id, ts) => void log.push(`cancel ${id} @${ts}`),
  };
  const refused: [string, unknown][] = [];
  const client = new WriteAheadClient(
    venue,
    j.port,
    (id, e) => void refused.push([id, e]),
    (at: Failpoint) => void log.push(at),
  );
  return { client, log, refused, waits: j.waits };
}

describe('WriteAheadClient: write before send, in order, fail closed', () => {
  it('sends a submit and a cancel only once what was journaled before each is durable, in call order', async () => {
    const { client, log, waits } = setUp();
    client.submit(newOrder({}, 'a'), 10);
    client.cancel('b', 11);
    await drain();
    expect(log).toEqual([]);
    // The later call's record becomes durable first: it still waits for the one before it.
    waits[1]!.resolve();
    await drain();
    expect(log).toEqual([]);
    waits[0]!.resolve();
    await client.idle();
    expect(log).toEqual([
      'after-commit',
      'submit a @10',
      'after-send',
      'after-commit',
      'cancel b @11',
      'after-send',
    ]);
  });

  it('refuses, and tells which order and why, when the journal could not write; nothing more is sent', async () => {
    const { client, log, refused, waits } = setUp();
    client.submit(newOrder({}, 'a'), 10);
    client.submit(newOrder({}, 'b'), 11);
    const disk = new Error('disk gone');
    waits[0]!.reject(disk);
    waits[1]!.resolve();
    await client.idle();
    expect(log).toEqual([]);
    expect(refused[0]).toEqual(['a', disk]);
    expect(refused[1]![0]).toBe('b');
    expect(refused[1]![1]).toMatchObject({
      message: 'refused: an earlier write failed',
      cause: disk,
    });
    client.cancel('a', 12);
    await client.idle();
    expect(log).toEqual([]);
    expect(refused.map(([id]) => id)).toEqual(['a', 'b', 'a']);
  });

  it('idle() waits for every send made so far', async () => {
    const { client, log, waits } = setUp();
    client.submit(newOrder({}, 'a'), 10);
    let idle = false;
    void client.idle().then(() => (idle = true));
    await drain();
    expect(idle).toBe(false);
    waits[0]!.resolve();
    await drain();
    expect(idle).toBe(true);
    expect(log).toContain('submit a @10');
  });

  it('sends without a failpoint (outside fault tests)', async () => {
    const j = journal();
    const sent: string[] = [];
    const refused: string[] = [];
    const client = new WriteAheadClient(
      { submit: (o) => void sent.push(o.clientOrderId), cancel: (id) => void sent.push(id) },
      j.port,
      (id) => void refused.push(id),
    );
    client.submit(newOrder({}, 'a'), 10);
    j.waits[0]!.resolve();
    await client.idle();
    expect([sent, refused]).toEqual([['a'], []]);
  });
});
