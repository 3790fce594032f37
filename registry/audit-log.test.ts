import { describe, expect, it } from 'vitest';
import { auditKeySuffix, checkAuditPageRequest } from './audit-log.js';

describe('audit log keys', () => {
  it('sort newest first, a batch of one millisecond with its later entries first', () => {
    const at = (ms: number): string => new Date(Date.UTC(2026, 11, 6) + ms).toISOString();
    const keys = [
      auditKeySuffix(at(0)),
      auditKeySuffix(at(1), { batch: 'abcd0123', index: 0 }),
      auditKeySuffix(at(1), { batch: 'abcd0123', index: 1 }),
      auditKeySuffix(at(86_400_000 * 365)),
    ];
    expect([...keys].sort()).toEqual([keys[3], keys[2], keys[1], keys[0]]);
    expect(keys[1]).toMatch(/^\d{13}-abcd0123\.999$/);
    for (const key of keys) expect(checkAuditPageRequest({ limit: 1, before: key }).before).toBe(key);
  });

  it('checks a page request, naming the field', () => {
    expect(checkAuditPageRequest({ limit: 0 })).toEqual({ limit: 100 });
    expect(() => checkAuditPageRequest({ limit: -1 })).toThrow(/^limit: -1 entries; 1..1000 a page/);
    expect(() => checkAuditPageRequest({ limit: 2.5 })).toThrow(/^limit: 2.5 entries/);
    expect(() => checkAuditPageRequest({ limit: 5, after: '../../secret/admin' })).toThrow(/^after: "..\/..\/secret\/admin" is not a cursor/);
  });
});
