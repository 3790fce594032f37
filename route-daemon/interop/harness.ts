import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { waitFor } from '../../common/test-support/eventually.js';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Network-namespace laboratory for interop tests against real BGP daemons.
 * A lab is one namespace holding the other daemon, joined to the root
 * namespace (where the test runs our speaker in-process) by one veth pair
 * with unique names and random private addresses. Everything a lab creates
 * is removed by `close()`, which is safe to call after any failure.
 */

const run = promisify(execFile);

export async function sh(command: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run(command, [...args], { timeout: 15_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')}: ${(e.stderr ?? '').trim() || e.message}`);
  }
}

export interface LabAddresses {
  readonly v4: string;
  readonly v6: string;
}

export interface Lab {
  readonly id: string;
  /** Namespace of the other daemon. */
  readonly ns: string;
  /** Our end of the veth pair, in the root namespace. */
  readonly hostIf: string;
  readonly ours: LabAddresses;
  readonly theirs: LabAddresses;
  readonly dir: string;
  /** Runs a command inside the lab namespace. */
  exec(command: string, args: readonly string[]): Promise<string>;
  /** Starts a long-running process inside the namespace; it is killed by close(). */
  spawn(command: string, args: readonly string[]): ChildProcess;
  close(): Promise<void>;
}

/**
 * Random private addressing so that labs of concurrent test runs never share
 * a subnet: 10.X.Y.0/30 and fdXX:XXXX:XXXX::/64 from the lab id.
 */
function labAddressing(id: Buffer): { ours: LabAddresses; theirs: LabAddresses } {
  const [a = 0, b = 0, c = 0] = id;
  const v4 = `10.${a}.${b & 0xfc}`;
  const v6 = `fd${c.toString(16).padStart(2, '0')}:${id.toString('hex', 0, 2)}:${id.toString('hex', 2, 4)}:`;
  return {
    ours: { v4: `${v4}.1`, v6: `${v6}:1` },
    theirs: { v4: `${v4}.2`, v6: `${v6}:2` },
  };
}

export async function createLab(prefix = 'gnbgp'): Promise<Lab> {
  const raw = randomBytes(4);
  const id = raw.toString('hex');
  const ns = `${prefix}-${id}`;
  const hostIf = `gp${id}h`;
  const peerIf = `gp${id}p`;
  const { ours, theirs } = labAddressing(raw);
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-${id}-`));
  const children: ChildProcess[] = [];

  const close = async (): Promise<void> => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    // Deleting the namespace removes the veth pair with it; the host end is removed explicitly in case the namespace was never made.
    await sh('ip', ['netns', 'delete', ns]).catch(() => undefined);
    await sh('ip', ['link', 'delete', hostIf]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };

  const lab: Lab = {
    id, ns, hostIf, ours, theirs, dir,
    exec: (command, args) => sh('ip', ['netns', 'exec', ns, command, ...args]),
    spawn: (command, args) => {
      const child = spawn('ip', ['netns', 'exec', ns, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      return child;
    },
    close,
  };
  try {
    await sh('ip', ['netns', 'add', ns]);
    await sh('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', peerIf]);
    await sh('ip', ['link', 'set', peerIf, 'netns', ns]);
    await sh('ip', ['addr', 'add', `${ours.v4}/30`, 'dev', hostIf]);
    await sh('ip', ['addr', 'add', `${ours.v6}/64`, 'dev', hostIf, 'nodad']);
    await sh('ip', ['link', 'set', hostIf, 'up']);
    await lab.exec('ip', ['addr', 'add', `${theirs.v4}/30`, 'dev', peerIf]);
    await lab.exec('ip', ['addr', 'add', `${theirs.v6}/64`, 'dev', peerIf, 'nodad']);
    await lab.exec('ip', ['link', 'set', peerIf, 'up']);
    await lab.exec('ip', ['link', 'set', 'lo', 'up']);
  } catch (err) {
    await close();
    throw err;
  }
  return lab;
}

/** Rejects as soon as a starting daemon exits, so that a bad config fails the test at once with the daemon's own words. */
function exitFails(child: ChildProcess, message: () => string): Promise<never> {
  const failed = new Promise<never>((_, reject) => child.once('exit', () => reject(new Error(message()))));
  failed.catch(() => undefined);
  return failed;
}

export interface Bird {
  readonly socket: string;
  /** Runs one birdc command and returns its output. */
  birdc(command: string): Promise<string>;
  stop(): Promise<void>;
  /** Starts BIRD again with the same configuration; `recovery` is BIRD's -R (coming back from a graceful restart). */
  start(options?: { recovery?: boolean }): Promise<void>;
}

/** BIRD 2 in the lab namespace: `bird -c CONF -s SOCK -f`, controlled with `birdc -s SOCK`. */
export async function startBird(lab: Lab, config: string): Promise<Bird> {
  const conf = join(lab.dir, 'bird.conf');
  const socket = join(lab.dir, 'bird.ctl');
  await writeFile(conf, config);
  let child: ChildProcess | undefined;
  // birdc exits non-zero for answers like "Network not found": those are answers too.
  const birdc = (command: string): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile('birdc', ['-s', socket, ...command.split(' ')], { timeout: 15_000 }, (err, stdout, stderr) => {
        if (err && !stdout) reject(new Error(`birdc ${command}: ${stderr.trim() || err.message}`));
        else resolve(stdout);
      });
    });
  const start = async (options: { recovery?: boolean } = {}): Promise<void> => {
    child = lab.spawn('bird', ['-c', conf, '-s', socket, '-f', ...(options.recovery ? ['-R'] : [])]);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await Promise.race([
      exitFails(child, () => `bird exited: ${stderr.trim()}`),
      waitFor('BIRD to answer on its control socket', async () => existsSync(socket) && (await birdc('show status')).includes('Daemon is up')),
    ]);
  };
  const stop = async (): Promise<void> => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child?.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    await rm(socket, { force: true });
  };
  await start();
  return { socket, birdc, stop, start };
}

export interface Gobgp {
  readonly apiPort: number;
  /** Runs one `gobgp` CLI command against this daemon. */
  gobgp(args: readonly string[]): Promise<string>;
  stop(): Promise<void>;
  start(options?: { gracefulRestart?: boolean }): Promise<void>;
}

/** gobgpd in the lab namespace with a TOML config; its API listens on the namespace's loopback. */
export async function startGobgp(lab: Lab, config: string): Promise<Gobgp> {
  const conf = join(lab.dir, 'gobgpd.toml');
  await writeFile(conf, config);
  const apiPort = 50051;
  const gobgp = (args: readonly string[]): Promise<string> => lab.exec('gobgp', ['-u', '127.0.0.1', '-p', String(apiPort), ...args]);
  let child: ChildProcess | undefined;
  const start = async (options: { gracefulRestart?: boolean } = {}): Promise<void> => {
    child = lab.spawn('gobgpd', ['-f', conf, '-p', '-l', 'info', '--api-hosts', `127.0.0.1:${apiPort}`, '--pprof-disable', ...(options.gracefulRestart ? ['-r'] : [])]);
    let output = '';
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    await Promise.race([
      exitFails(child, () => `gobgpd exited: ${output.trim().slice(-500)}`),
      waitFor('gobgpd to answer on its API', async () => (await gobgp(['global'])).includes('AS:')),
    ]);
  };
  const stop = async (): Promise<void> => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child?.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };
  await start();
  return { apiPort, gobgp, stop, start };
}
