import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { UserError } from '../common/errors.js';
import { createLogger, type Logger } from '../common/log.js';
import { freePort } from '../common/free-port.js';

/**
 * Runs Debian's real `etcd` binary as a child process on loopback ports: the
 * registry's managed single-member store, and the members of the local
 * clusters that the tests build. It listens on 127.0.0.1 only; clients
 * speak TLS to it if `tls` is given (peers never do).
 */

export interface EtcdMemberOptions {
  name: string;
  dataDir: string;
  clientPort: number;
  peerPort: number;
  /** "a=http://127.0.0.1:p1,b=..." for a cluster; this member alone if absent. */
  initialCluster?: string;
  /** Serve clients over TLS; with `clientCaFile`, also demand client certificates signed by it. */
  tls?: { certFile: string; keyFile: string; clientCaFile?: string };
  binary?: string;
}


/**
 * etcd's /health over plain HTTP. Over TLS etcd may demand a client
 * certificate even there, so a listening port is taken as ready and the
 * registry's own retries cover the rest.
 */
function healthy(clientUrl: string): Promise<boolean> {
  const url = new URL(clientUrl);
  if (url.protocol === 'https:') {
    return new Promise((resolve) => {
      const socket = connect({ host: url.hostname, port: Number(url.port) }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
  }
  return new Promise((resolve) => {
    const req = request(`${clientUrl}/health`, { timeout: 1000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('"true"')));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** One etcd process. `stop()` ends it gracefully; `kill()` simulates a crash. */
export class EtcdMember {
  readonly clientUrl: string;
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> = Promise.resolve(null);
  private stderrTail = '';

  constructor(readonly options: EtcdMemberOptions) {
    this.clientUrl = `${options.tls ? 'https' : 'http'}://127.0.0.1:${options.clientPort}`;
  }

  get peerUrl(): string {
    return `http://127.0.0.1:${this.options.peerPort}`;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process; resolves once it is a healthy cluster member (a lone member is healthy at once). */
  async start(options: { waitHealthy?: boolean; timeoutMs?: number } = {}): Promise<void> {
    const o = this.options;
    mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
    const args = [
      '--name', o.name,
      '--data-dir', o.dataDir,
      '--listen-client-urls', this.clientUrl,
      '--advertise-client-urls', this.clientUrl,
      '--listen-peer-urls', this.peerUrl,
      '--initial-advertise-peer-urls', this.peerUrl,
      '--initial-cluster', o.initialCluster ?? `${o.name}=${this.peerUrl}`,
      '--initial-cluster-state', 'new',
      '--initial-cluster-token', 'garagenet-registry',
      '--auto-compaction-mode', 'revision',
      '--auto-compaction-retention', '100000',
      '--log-level', 'error',
      ...(o.tls ? ['--cert-file', o.tls.certFile, '--key-file', o.tls.keyFile] : []),
      ...(o.tls?.clientCaFile ? ['--client-cert-auth', '--trusted-ca-file', o.tls.clientCaFile] : []),
    ];
    const child = spawn(o.binary ?? 'etcd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.stderrTail = '';
    child.stderr?.on('data', (chunk: Buffer) => (this.stderrTail = (this.stderrTail + chunk.toString()).slice(-2000)));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const spawnFailed = new Promise<never>((_, reject) =>
      child.once('error', (err) =>
        reject(new UserError(`cannot start etcd: ${err.message}`, { hint: 'install the Debian package etcd-server' })),
      ),
    );
    if (options.waitHealthy === false) return;
    await Promise.race([spawnFailed, this.waitHealthy(options.timeoutMs ?? 20_000)]);
  }

  async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new UserError(`etcd ${this.options.name} exited: ${this.stderrTail.trim().split('\n').pop() ?? ''}`);
      if (await healthy(this.clientUrl)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new UserError(`etcd ${this.options.name} not healthy on ${this.clientUrl} after ${timeoutMs} ms`);
  }

  /** Ends the process (SIGTERM, then SIGKILL after 5 s) and waits for it. */
  async stop(): Promise<void> {
    if (!this.running) return;
    const child = this.child!;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }

  /** Crashes the process (SIGKILL) and waits for it to be gone. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGKILL');
    await this.exited;
  }

  onExit(listener: (code: number | null) => void): void {
    void this.exited.then(listener);
  }
}

/**
 * The registry's own single-member etcd, with its data directory under the
 * state directory. Ports are chosen free once and remembered, so a restart
 * finds its member again. If etcd dies the registry restarts it (with a
 * back-off) while calls meanwhile fail with UNAVAILABLE.
 */
export class ManagedEtcd {
  private member: EtcdMember | null = null;
  private stopping = false;
  private restarts = 0;
  private readonly log: Logger;

  constructor(private readonly stateDir: string) {
    this.log = createLogger('registry').child({ etcd: 'managed' });
  }

  get clientUrl(): string {
    if (!this.member) throw new Error('managed etcd not started');
    return this.member.clientUrl;
  }

  async start(): Promise<string> {
    const dir = join(this.stateDir, 'etcd');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const portsFile = join(dir, 'ports.json');
    let ports: { client: number; peer: number };
    try {
      ports = JSON.parse(readFileSync(portsFile, 'utf8')) as { client: number; peer: number };
    } catch {
      ports = { client: await freePort(), peer: await freePort() };
      writeFileSync(portsFile, JSON.stringify(ports), { mode: 0o600 });
    }
    this.member = new EtcdMember({ name: 'registry', dataDir: join(dir, 'data'), clientPort: ports.client, peerPort: ports.peer });
    await this.member.start();
    this.supervise(this.member);
    this.log.info({ url: this.member.clientUrl }, 'managed etcd running');
    return this.member.clientUrl;
  }

  private supervise(member: EtcdMember): void {
    member.onExit((code) => {
      if (this.stopping) return;
      const delay = Math.min(30_000, 500 * 2 ** Math.min(this.restarts, 6));
      this.restarts++;
      this.log.error({ code, delayMs: delay }, 'managed etcd exited; restarting');
      setTimeout(() => {
        if (this.stopping) return;
        member
          .start()
          .then(() => {
            this.restarts = 0;
            this.log.info('managed etcd back');
            this.supervise(member);
          })
          .catch((err: unknown) => {
            this.log.error({ err }, 'managed etcd restart failed');
            this.supervise(member);
          });
      }, delay);
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.member?.stop();
  }
}
