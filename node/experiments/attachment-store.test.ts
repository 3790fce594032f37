import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AttachmentPlan } from './attachment-plan.js';
import { attachmentsPath, loadAttachments, saveAttachments } from './attachment-store.js';

const plan: AttachmentPlan = {
  experiment: 'alice-bgp', interface: 'gx3a', peerInterface: 'gx3b', netns: 'lab', allocation: '10.128.1.0/24', ourAddress: '10.128.1.1',
  theirAddress: '10.128.1.2', prefixLength: 24, ourAsn: 4200000001, theirAsn: 4200000100, maxPrefixes: 10, maxUpdatesPerMinute: 60, maxMbits: 2,
  peerName: 'exp-alice-bgp',
};

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('attachment store', () => {
  it('keeps the attachments in a 0600 file and reads them back; none when there is no file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'gn-attach-'));
    expect(loadAttachments(dir)).toEqual([]);
    await saveAttachments(dir, [plan]);
    expect(statSync(attachmentsPath(dir)).mode & 0o777).toBe(0o600);
    expect(loadAttachments(dir)).toEqual([plan]);
  });

  it('gives attachments saved before the per-experiment rate the default rate', async () => {
    dir = mkdtempSync(join(tmpdir(), 'gn-attach-'));
    const { maxMbits: _saved, ...old } = plan;
    writeFileSync(attachmentsPath(dir), JSON.stringify({ attachments: [old] }), { mode: 0o600 });
    expect(loadAttachments(dir)).toEqual([{ ...plan, maxMbits: 10 }]);
    writeFileSync(attachmentsPath(dir), JSON.stringify({ attachments: [{ ...plan, maxMbits: 0 }] }), { mode: 0o600 });
    expect(() => loadAttachments(dir)).toThrow(/attachments\[0\]\.maxMbits: expected an integer in 1..1000/);
  });

  it('names the file and the field of a broken entry', () => {
    dir = mkdtempSync(join(tmpdir(), 'gn-attach-'));
    writeFileSync(attachmentsPath(dir), JSON.stringify({ attachments: [{ ...plan, theirAsn: 'x' }] }), { mode: 0o600 });
    expect(() => loadAttachments(dir)).toThrow(/experiments\.json: attachments\[0\]\.theirAsn: expected an integer/);
    writeFileSync(attachmentsPath(dir), '{', { mode: 0o600 });
    expect(() => loadAttachments(dir)).toThrow(/experiments\.json: is not valid JSON/);
    chmodSync(attachmentsPath(dir), 0o644);
    expect(() => loadAttachments(dir)).toThrow(/experiments\.json: holds a secret but is readable by others/);
  });
});
