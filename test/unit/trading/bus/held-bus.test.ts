import fc from 'fast-check';
import { HeldBus } from '../../../../src/trading/bus/held-bus.js';
import { MessageBus } from '../../../../src/trading/bus/message-bus.js';

describe('HeldBus: a late listener hears what came while it started after what it was told', () => {
  it('holds what its subscriptions would hear until released, then hands it over in order, and after that as it comes', () => {
    const bus = new MessageBus();
    const held = new HeldBus(bus);
    const heard: string[] = [];
    held.subscribe<string>('events.order.s', (m) => heard.push(m));
    bus.publish('events.order.s', 'a');
    bus.publish('events.order.other', 'x');
    bus.publish('events.order.s', 'b');
    expect(heard).toEqual([]);
    heard.push('told');
    held.release();
    expect(heard).toEqual(['told', 'a', 'b']);
    bus.publish('events.order.s', 'c');
    expect(heard).toEqual(['told', 'a', 'b', 'c']);
    held.release(); // twice: nothing more
    expect(heard).toEqual(['told', 'a', 'b', 'c']);
  });

  it('a subscriber that came after a held message hears it on release, and every subscriber hears it once', () => {
    const bus = new MessageBus();
    const held = new HeldBus(bus);
    const early: string[] = [];
    const late: string[] = [];
    held.subscribe<string>('t.*', (m) => early.push(m));
    bus.publish('t.1', 'a');
    held.subscribe<string>('t.*', (m) => late.push(m));
    bus.publish('t.2', 'b');
    held.release();
    expect(early).toEqual(['a', 'b']);
    expect(late).toEqual(['a', 'b']);
  });

  it('what a handler publishes while held messages are handed over waits behind them', () => {
    const bus = new MessageBus();
    const held = new HeldBus(bus);
    const heard: string[] = [];
    held.subscribe<string>('t', (m) => {
      heard.push(m);
      if (m === 'a') held.publish('t', 'caused by a');
    });
    bus.publish('t', 'a');
    bus.publish('t', 'b');
    held.release();
    expect(heard).toEqual(['a', 'b', 'caused by a']);
  });

  it('sends, publishes and registrations go to the bus at once; an unsubscribed handler hears nothing more', () => {
    const bus = new MessageBus();
    const held = new HeldBus(bus);
    const got: unknown[] = [];
    held.register('risk', (m) => got.push(['risk', m]));
    held.send('risk', 1);
    expect(got).toEqual([['risk', 1]]);
    bus.subscribe('t', (m) => got.push(['bus', m]));
    held.publish('t', 2);
    expect(got).toEqual([
      ['risk', 1],
      ['bus', 2],
    ]);
    expect(held.hasSubscribers('t')).toBe(true);
    expect(held.hasSubscribers('u')).toBe(false);
    const mine: unknown[] = [];
    const off = held.subscribe('t', (m) => mine.push(m));
    held.release();
    held.publish('t', 3);
    off();
    held.publish('t', 4);
    expect(mine).toEqual([3]);
    // The last subscriber of a pattern gone, the bus no longer hears it for this one.
    const other = new MessageBus();
    const view = new HeldBus(other);
    const a = view.subscribe('p', () => undefined);
    const b = view.subscribe('p', () => undefined);
    expect(other.hasSubscribers('p')).toBe(true);
    a();
    expect(other.hasSubscribers('p')).toBe(true);
    b();
    b();
    expect(other.hasSubscribers('p')).toBe(false);
    const again: unknown[] = [];
    view.subscribe('p', (m) => again.push(m));
    view.release();
    other.publish('p', 5);
    expect(again).toEqual([5]);
  });

  it('hears, over any run of publishes, subscriptions and one release, what a bus subscribed from the start hears, in the same order, once (property)', () => {
    const step = fc.oneof(
      fc.record({ t: fc.constant('publish' as const), topic: fc.constantFrom('a', 'b') }),
      fc.record({ t: fc.constant('subscribe' as const), pattern: fc.constantFrom('a', 'b') }),
      fc.record({ t: fc.constant('release' as const) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        const bus = new MessageBus();
        const held = new HeldBus(bus);
        // Per subscriber: what it heard; and what it should hear once released (published after
        // the first subscriber of its pattern came, or after it when released already).
        const subs: { pattern: string; heard: number[]; from: number; held: boolean }[] = [];
        const published: [string, number][] = [];
        let released = false;
        let n = 0;
        for (const s of steps) {
          if (s.t === 'publish') {
            published.push([s.topic, n]);
            bus.publish(s.topic, n++);
          } else if (s.t === 'subscribe') {
            const sub = {
              pattern: s.pattern,
              heard: [] as number[],
              from: published.length,
              held: !released,
            };
            subs.push(sub);
            held.subscribe<number>(s.pattern, (m) => sub.heard.push(m));
          } else if (!released) {
            released = true;
            held.release();
          }
        }
        held.release(); // never released in the run: at its end (a second release does nothing)
        for (const sub of subs) {
          // Its pattern's first subscription on the bus: held messages from then on reach it.
          const first = subs.find((x) => x.pattern === sub.pattern)!.from;
          const since = sub.held ? Math.min(first, sub.from) : sub.from;
          const expected = published
            .slice(since)
            .filter(([topic]) => topic === sub.pattern)
            .map(([, m]) => m);
          expect(sub.heard).toEqual(expected);
        }
      }),
      { numRuns: 500 },
    );
  });
});
