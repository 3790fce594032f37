import { afterAll, describe, expect, it } from 'vitest';
import { createLab, sh, startBird, type Lab } from './harness.js';

describe('interop harness', () => {
  let lab: Lab | undefined;
  afterAll(async () => {
    await lab?.close();
  });

  it('joins a namespace to the root namespace over IPv4 and IPv6, runs BIRD there, and removes everything', async () => {
    lab = await createLab();
    expect(await sh('ping', ['-c', '1', '-W', '2', lab.theirs.v4])).toContain('1 received');
    expect(await sh('ping', ['-c', '1', '-W', '2', lab.theirs.v6])).toContain('1 received');
    const bird = await startBird(lab, 'router id 192.0.2.9;\nprotocol device {}\n');
    expect(await bird.birdc('show status')).toContain('Router ID is 192.0.2.9');
    const { ns, hostIf } = lab;
    await lab.close();
    lab = undefined;
    expect(await sh('ip', ['netns', 'list'])).not.toContain(ns);
    expect(await sh('ip', ['-o', 'link', 'show'])).not.toContain(hostIf);
  });
});
