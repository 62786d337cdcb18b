import { MessageBus } from '../../../../src/trading/bus/message-bus.js';
import { SimClock } from '../../../../src/trading/clock/sim-clock.js';
import { InvariantError } from '../../../../src/trading/core/errors.js';

describe('MessageBus', () => {
  it('sends commands to one endpoint and refuses a second registration or an unknown endpoint', () => {
    const bus = new MessageBus();
    const got: unknown[] = [];
    bus.register('E', (m) => got.push(m));
    bus.send('E', 1);
    expect(got).toEqual([1]);
    expect(() => bus.register('E', () => undefined)).toThrow(InvariantError);
    expect(() => bus.send('nope', 1)).toThrow(/no handler for endpoint nope/);
  });

  it('publishes to exact and wildcard subscribers in subscription order; unsubscribe works', () => {
    const bus = new MessageBus();
    const got: string[] = [];
    bus.subscribe('events.order.*', () => got.push('wild'));
    const off = bus.subscribe('events.order.a', () => got.push('exact'));
    bus.subscribe('events.position.a', () => got.push('other'));
    bus.publish('events.order.a', {});
    off();
    bus.publish('events.order.a', {});
    expect(got).toEqual(['wild', 'exact', 'wild']);
  });

  it('tells whether a topic has subscribers, exact or by pattern, before and after unsubscribing', () => {
    const bus = new MessageBus();
    expect(bus.hasSubscribers('events.position.a')).toBe(false);
    const offExact = bus.subscribe('events.position.a', () => undefined);
    expect(bus.hasSubscribers('events.position.a')).toBe(true);
    expect(bus.hasSubscribers('events.position.b')).toBe(false);
    const offWild = bus.subscribe('events.position.*', () => undefined);
    expect(bus.hasSubscribers('events.position.b')).toBe(true);
    offExact();
    expect(bus.hasSubscribers('events.position.a')).toBe(true);
    offWild();
    expect(bus.hasSubscribers('events.position.a')).toBe(false);
    expect(bus.hasSubscribers('events.position.b')).toBe(false);
  });
});

describe('SimClock', () => {
  it('fires timers in time order, ties in the order they were set, with the clock at each time', () => {
    const c = new SimClock(0);
    const got: string[] = [];
    c.setTimer('b', 5, (t) => got.push(`b@${t}/${c.now()}`));
    c.setTimer('a', 5, (t) => got.push(`a@${t}`));
    c.setTimer('z', 2, () => got.push('z'));
    c.setTimer('gone', 3, () => got.push('gone'));
    c.cancelTimer('gone');
    c.advanceTo(10);
    expect(got).toEqual(['z', 'b@5/5', 'a@5']);
    expect(c.now()).toBe(10);
    expect(() => c.advanceTo(9)).toThrow(/cannot move from 10 back to 9/);
  });
});
