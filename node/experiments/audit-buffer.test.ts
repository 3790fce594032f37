import { describe, expect, it } from 'vitest';
import { AuditBuffer, type AuditEvent } from './audit-buffer.js';

/** A registry stand-in that records each call and fails while `down`. */
function registry(): { calls: { experiment: string; events: string[] }[]; down: boolean; send: (experiment: string, events: readonly AuditEvent[]) => Promise<void> } {
  const r = {
    calls: [] as { experiment: string; events: string[] }[],
    down: false,
    send: async (experiment: string, events: readonly AuditEvent[]): Promise<void> => {
      if (r.down) throw new Error('registry unreachable');
      r.calls.push({ experiment, events: events.map((e) => (e.event === 'audit.dropped' ? `dropped: ${e.detail}` : e.detail)) });
    },
  };
  return r;
}

const options = { capacity: 5, batch: 3, intervalMs: 60_000 };

describe('AuditBuffer', () => {
  it('sends one call per experiment per flush, oldest first, at most `batch` entries a call', async () => {
    const r = registry();
    const buffer = new AuditBuffer(r.send, options);
    for (const d of ['a1', 'a2', 'a3', 'a4']) buffer.add('a', 'import.rejected.x', d);
    buffer.add('b', 'import.accepted', 'b1');
    await buffer.flush();
    expect(r.calls).toEqual([{ experiment: 'a', events: ['a1', 'a2', 'a3'] }, { experiment: 'b', events: ['b1'] }]);
    await buffer.flush();
    expect(r.calls.slice(2)).toEqual([{ experiment: 'a', events: ['a4'] }]);
    expect(buffer.stats('a')).toEqual({ pending: 0, dropped: 0 });
  });

  it('keeps entries through a failed call and sends them, in order, once the registry is back', async () => {
    const r = registry();
    const errors: string[] = [];
    const buffer = new AuditBuffer(r.send, { ...options, onError: (experiment, err) => errors.push(`${experiment}: ${(err as Error).message}`), isRefusal: () => false });
    r.down = true;
    buffer.add('a', 'e', '1');
    await buffer.flush();
    buffer.add('a', 'e', '2');
    await buffer.flush();
    expect([r.calls, buffer.stats('a'), errors]).toEqual([[], { pending: 2, dropped: 0 }, ['a: registry unreachable']]);
    r.down = false;
    await buffer.flush();
    expect(r.calls).toEqual([{ experiment: 'a', events: ['1', '2'] }]);
  });

  it('holds at most `capacity` entries while the registry is away, counts the rest, and logs the gap where it was', async () => {
    const r = registry();
    const buffer = new AuditBuffer(r.send, options);
    r.down = true;
    for (let i = 1; i <= 8; i++) buffer.add('a', 'e', String(i));
    expect(buffer.stats('a')).toEqual({ pending: 5, dropped: 3 });
    r.down = false;
    await buffer.drain('a');
    buffer.add('a', 'e', '9');
    await buffer.flush();
    expect(r.calls.flatMap((c) => c.events)).toEqual(['1', '2', '3', '4', '5', 'dropped: 3 entries dropped: the registry was unreachable and 5 were already waiting', '9']);
    expect(buffer.stats('a')).toEqual({ pending: 0, dropped: 3 });
  });

  it('drops and counts a batch the registry refuses for good, and goes on with the next', async () => {
    const r = registry();
    const refused: string[] = [];
    const buffer = new AuditBuffer(async (experiment, events) => {
      if (experiment === 'elsewhere') throw new Error('not the host');
      await r.send(experiment, events);
    }, { ...options, isRefusal: (err) => /not the host/.test((err as Error).message), onError: (e, _err, n) => refused.push(`${e}: ${n}`) });
    for (const d of ['1', '2', '3', '4']) buffer.add('elsewhere', 'e', d);
    buffer.add('a', 'e', 'a1');
    await buffer.flush();
    await buffer.flush();
    expect([refused, buffer.stats('elsewhere'), r.calls]).toEqual([['elsewhere: 3', 'elsewhere: 1'], { pending: 0, dropped: 4 }, [{ experiment: 'a', events: ['a1'] }]]);
  });

  it('never has two calls of one experiment under way, and stamps each entry with the time it was added', async () => {
    let release = (): void => undefined;
    const calls: string[][] = [];
    const buffer = new AuditBuffer(async (_e, events) => {
      calls.push(events.map((e) => `${e.detail}@${e.at}`));
      await new Promise<void>((resolve) => (release = resolve));
    }, { ...options, now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, calls.length)) });
    buffer.add('a', 'e', 'x');
    const first = buffer.flush();
    buffer.add('a', 'e', 'y');
    const second = buffer.flush('a');
    release();
    await Promise.all([first, second]);
    expect(calls).toEqual([['x@2026-01-01T00:00:00.000Z']]);
    const third = buffer.flush();
    release();
    await third;
    expect(calls[1]).toEqual(['y@2026-01-01T00:00:01.000Z']);
  });
});
