import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageType } from './packet/types.js';
import { RawPeer } from './peering/test-support/raw-peer.js';

/** `garagenet bgp daemon` as a process: started, asked through its control API, stopped by signal. */

const run = promisify(execFile);
const CLI = ['node_modules/.bin/vite-node', 'route-daemon/interop/test-support/garagenet.ts'];
const PORT = 20000 + Math.floor(Math.random() * 20000);

let dir: string;
let daemon: ChildProcess | undefined;
let peer: RawPeer | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'routed-process-'));
});

afterAll(async () => {
  peer?.close();
  if (daemon && daemon.exitCode === null) daemon.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

async function garagenet(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(CLI[0]!, [CLI[1]!, ...args], { timeout: 30_000 });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

describe('garagenet bgp daemon', () => {
  it('refuses a bad configuration with one line naming file, line and field', async () => {
    const file = join(dir, 'bad.conf');
    await writeFile(file, '[router]\nasn = 65000\nrouter-id = 0.0.0.0\n');
    const { stderr, code } = await garagenet(['bgp', 'daemon', '--config', file]);
    expect(code).toBe(1);
    expect(stderr.trim()).toMatch(new RegExp(`^garagenet: ${file.replace(/[.]/g, '\\.')}:3: router-id: .*non-zero`));
  });

  it('runs, answers `bgp neighbors --json`, and stops gracefully on SIGTERM', async () => {
    const file = join(dir, 'routed.conf');
    const socket = join(dir, 'routed.sock');
    await writeFile(file, `
[router]
asn = 4200000001
router-id = 10.0.0.1
listen = 127.0.0.1:${PORT}
control-socket = ${socket}
[plane production]
pools = 10.64.0.0/10
[peer garage-b]
plane = production
address = 127.0.0.2
asn = 4200000002
passive = yes
`);
    daemon = spawn(CLI[0]!, [CLI[1]!, 'bgp', 'daemon', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GARAGENET_LOG: 'warn' } });
    // The peer connects the moment the BGP port accepts, as an eager router
    // would: its session must already be waiting (no close before OPEN).
    const deadline = Date.now() + 30_000;
    while (!peer) {
      if (Date.now() > deadline || daemon.exitCode !== null) throw new Error('the daemon did not open its BGP port');
      peer = await RawPeer.connect({ host: '127.0.0.1', port: PORT, localAddress: '127.0.0.2' }).catch(async () => {
        await new Promise((r) => setTimeout(r, 5));
        return undefined;
      });
    }
    await peer.establish({ asn: 4200000002, bgpId: 0x0a000002 });
    while (!existsSync(socket)) {
      if (Date.now() > deadline) throw new Error('the daemon did not open its control socket');
      await new Promise((r) => setTimeout(r, 50));
    }

    const { stdout, code } = await garagenet(['bgp', '--socket', socket, 'neighbors', '--json']);
    expect(code).toBe(0);
    const [neighbor] = JSON.parse(stdout) as { name: string; state: string; plane: string }[];
    expect(neighbor).toMatchObject({ name: 'garage-b', plane: 'production', state: 'established' });

    const exited = new Promise<number | null>((resolve) => daemon!.once('exit', (c) => resolve(c)));
    daemon.kill('SIGTERM');
    expect(await exited).toBe(0);
    await peer.waitClosed();
    // Graceful: the peer got no NOTIFICATION, so it keeps our routes while we are away.
    expect(peer.received.filter((m) => m.type === MessageType.Notification)).toEqual([]);
  });
});
