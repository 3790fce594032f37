import { describe, expect, it } from 'vitest';
import type { AuditEntry, AuditPage, AuditPageRequest } from '../../registry/model.js';
import { AuditWindows, REFUSALS_SHOWN } from './audit-window.js';

/** A log in memory read with the registry's page rules; cursors are positions. */
function memoryLog(): { entries: AuditEntry[]; requests: Partial<AuditPageRequest>[]; read: (experiment: string, page: Partial<AuditPageRequest>) => Promise<AuditPage> } {
  const entries: AuditEntry[] = [];
  const requests: Partial<AuditPageRequest>[] = [];
  const cursor = (i: number): string => String(i).padStart(8, '0');
  return {
    entries,
    requests,
    async read(_experiment, page) {
      requests.push(page);
      const limit = page.limit || 100;
      const from = page.after ? Number(page.after) + 1 : Math.max(0, entries.length - limit);
      const to = Math.min(entries.length, from + limit);
      const slice = entries.slice(from, to);
      return {
        entries: slice,
        first: slice.length ? cursor(from) : '',
        last: slice.length ? cursor(to - 1) : '',
        more: page.after ? to < entries.length : from > 0,
      };
    },
  };
}

const refusal = (i: number): AuditEntry => ({
  experiment: 'e1', node: 'g1', event: 'import.rejected.bogon', detail: `10.0.${i % 256}.0/24: bogon #${i}`, at: new Date(1.8e12 + i * 1000).toISOString(),
});
const accepted = (i: number): AuditEntry => ({ ...refusal(i), event: 'import.accepted' });

describe('AuditWindows', () => {
  it('reads the newest page first, then only what was added after it', async () => {
    const log = memoryLog();
    for (let i = 0; i < 1500; i++) log.entries.push(i % 2 ? refusal(i) : accepted(i));
    const windows = new AuditWindows(log.read);
    const shown = await windows.look('e1');
    expect(shown).toHaveLength(REFUSALS_SHOWN);
    expect(shown[0]!.detail).toMatch(/#1499$/);
    log.entries.push(refusal(1500), accepted(1501), refusal(1502));
    const next = await windows.look('e1');
    expect(next.slice(0, 3).map((e) => e.detail.split('#')[1])).toEqual(['1502', '1500', '1499']);
    expect(next).toHaveLength(REFUSALS_SHOWN);
    expect(log.requests).toEqual([{ limit: 1000 }, { limit: 1000, after: '00001499' }]);
    expect(await windows.look('e1')).toEqual(next);
    expect(log.requests.at(-1)).toEqual({ limit: 1000, after: '00001502' });
  });

  it('catches up with a fast log a few pages a look', async () => {
    const log = memoryLog();
    log.entries.push(refusal(0));
    const windows = new AuditWindows(log.read);
    await windows.look('e1');
    for (let i = 1; i <= 7000; i++) log.entries.push(accepted(i));
    log.entries.push(refusal(7001));
    expect((await windows.look('e1'))[0]!.detail).toMatch(/#0$/);
    expect(log.requests).toHaveLength(1 + 5);
    expect((await windows.look('e1'))[0]!.detail).toMatch(/#7001$/);
  });

  it('reads an empty log afresh each look, passes on what the registry threw, and forgets experiments no longer listed', async () => {
    const log = memoryLog();
    const windows = new AuditWindows(log.read);
    expect(await windows.look('e1')).toEqual([]);
    log.entries.push(refusal(1));
    expect((await windows.look('e1')).map((e) => e.detail)).toEqual([refusal(1).detail]);
    const failing = new AuditWindows(async (experiment, page) => {
      if (page.after) throw Object.assign(new Error('registry down'), { code: 14 });
      return log.read(experiment, page);
    });
    await failing.look('e1');
    await expect(failing.look('e1')).rejects.toThrow('registry down');
    failing.keepOnly([]);
    log.requests.length = 0;
    await failing.look('e1');
    expect(log.requests).toEqual([{ limit: 1000 }]);
  });
});
