import { describe, expect, it } from 'vitest';
import { ConcurrencyGate, type GateLimits } from '../../src/kernel/concurrency.js';
import { caught } from '../helpers/errors.js';
import { until } from '../helpers/wait.js';

/** A call that runs until the test lets it finish. */
function held() {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return { fn: () => done, finish };
}

const limits = (over: Partial<GateLimits> = {}): GateLimits => ({
  perKey: 2,
  total: 3,
  maxQueuedPerKey: 2,
  maxWaitMs: 60_000,
  ...over,
});

describe('ConcurrencyGate', () => {
  it('runs at most perKey calls of one key, the next ones in arrival order as slots free', async () => {
    const gate = new ConcurrencyGate(limits());
    const calls = [held(), held(), held(), held()];
    const started: number[] = [];
    const runs = calls.map((c, i) =>
      gate.run('org_a', async () => {
        started.push(i);
        await c.fn();
      }),
    );
    await until('two calls to start', () => started.length === 2);
    expect(gate.inFlight('org_a')).toBe(2);
    calls[1]!.finish();
    await until('the third call to start', () => started.length === 3);
    calls[0]!.finish();
    await until('the fourth call to start', () => started.length === 4);
    expect(started).toEqual([0, 1, 2, 3]);
    expect(gate.inFlight('org_a')).toBe(2);
    for (const c of calls) c.finish();
    await Promise.all(runs);
    expect(gate.inFlight('org_a')).toBe(0);
  });

  it('lets another key run while one key has its slots full and a queue', async () => {
    const gate = new ConcurrencyGate(limits());
    const a = [held(), held(), held()];
    const runs = a.map((c) => gate.run('org_a', c.fn));
    await until('org_a to fill its slots', () => gate.inFlight('org_a') === 2);
    await expect(gate.run('org_b', async () => 'b')).resolves.toBe('b');
    for (const c of a) c.finish();
    await Promise.all(runs);
  });

  it('holds every key to the process total, handing a freed slot to the next waiter', async () => {
    const gate = new ConcurrencyGate(limits({ total: 2 }));
    const a = held();
    const b = held();
    const first = gate.run('org_a', a.fn);
    const second = gate.run('org_b', b.fn);
    let thirdRan = false;
    const third = gate.run('org_c', async () => {
      thirdRan = true;
    });
    await until('org_a and org_b to run', () => gate.inFlight('org_a') === 1 && gate.inFlight('org_b') === 1);
    expect(thirdRan).toBe(false);
    a.finish();
    await third;
    expect(thirdRan).toBe(true);
    b.finish();
    await Promise.all([first, second]);
  });

  it('refuses at once past the queue, with rate_limited and a retry delay', async () => {
    const gate = new ConcurrencyGate(limits({ maxWaitMs: 2500 }), 'knowledge-base searches');
    const calls = [held(), held(), held(), held()];
    const runs = calls.map((c) => gate.run('org_a', c.fn));
    const err = await caught(gate.run('org_a', async () => {}));
    expect(err.code).toBe('rate_limited');
    expect(err.message).toMatch(
      /^Too many knowledge-base searches at once: 2 are running and 2 waiting for this organization\. Retry in 3 s$/,
    );
    expect(err.details).toEqual({ retry_after_s: 3 });
    for (const c of calls) c.finish();
    await Promise.all(runs);
  });

  it('refuses a call that waited maxWaitMs, and gives its place back', async () => {
    const gate = new ConcurrencyGate(limits({ perKey: 1, maxWaitMs: 50 }));
    const a = held();
    const running = gate.run('org_a', a.fn);
    const err = await caught(gate.run('org_a', async () => {}));
    expect(err).toMatchObject({ code: 'rate_limited', details: { retry_after_s: 1 } });
    expect(err.message).toMatch(/none was free within 50 ms/);
    a.finish();
    await running;
    await expect(gate.run('org_a', async () => 'again')).resolves.toBe('again');
    expect(gate.inFlight('org_a')).toBe(0);
  });

  it('gives the key slot back when the wait for a process slot times out', async () => {
    const gate = new ConcurrencyGate(limits({ total: 1, maxWaitMs: 50 }));
    const a = held();
    const running = gate.run('org_a', a.fn);
    await caught(gate.run('org_b', async () => {}));
    expect(gate.inFlight('org_b')).toBe(0);
    a.finish();
    await running;
    await expect(gate.run('org_b', async () => 'b')).resolves.toBe('b');
  });

  it('frees the slot when the call throws', async () => {
    const gate = new ConcurrencyGate(limits({ perKey: 1 }));
    await expect(gate.run('org_a', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(gate.inFlight('org_a')).toBe(0);
    await expect(gate.run('org_a', async () => 'next')).resolves.toBe('next');
  });
});
