import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeJoinString } from '../../registry/join-string.js';
import { statePaths } from '../state/layout.js';
import { CLI } from '../demo/mesh-lab.js';
import { systemdRunning, unitText } from './service.js';

/** What `systemd-analyze verify` says about a unit file: its complaints, one per line (none for a good unit). */
function verify(dir: string, text: string): { status: number | null; complaints: string[] } {
  const file = join(dir, 'garagenet.service');
  writeFileSync(file, text);
  const result = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
  return { status: result.status, complaints: result.stderr.split('\n').filter((l) => l.trim() !== '') };
}

describe('garagenet join --service', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gn-service-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a unit that systemd-analyze verify accepts, also for a state directory with a space and a %', () => {
    const text = unitText(statePaths('/var/lib/garage net/50%'), { execPath: process.execPath, script: CLI });
    expect(text).toContain(`ExecStart=${process.execPath} ${CLI} up --foreground --state-dir "/var/lib/garage net/50%%"`);
    expect(verify(dir, text)).toEqual({ status: 0, complaints: [] });
    // The check is real: a unit systemd cannot parse is reported.
    expect(verify(dir, text.replace('Restart=on-failure', 'Restart=sometimes')).complaints.join('\n')).toMatch(/garagenet\.service:\d+: Failed to parse service restart specifier/);
  });

  it.skipIf(systemdRunning())('without systemd as PID 1 is refused in one line before anything changes', () => {
    const state = join(dir, 'state');
    // Never dialled: the refusal comes before the registry is contacted.
    const ticket = encodeJoinString({ registry: '127.0.0.1:9', pin: `sha256:${'A'.repeat(43)}`, invitation: 'inv1', secret: 's'.repeat(24) });
    const result = spawnSync(process.execPath, [CLI, 'join', ticket, '--service', '--state-dir', state], { encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'garagenet: --service needs systemd running as PID 1, and this machine has none (/run/systemd/system is missing); nothing changed ' +
        '(join without --service (the agent runs in the background) and start it at boot with `garagenet up`)',
    ]);
    expect(existsSync(state) ? readdirSync(state) : []).toEqual([]);
    expect(existsSync('/etc/systemd/system/garagenet.service')).toBe(false);
  });
});
