import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * Namespaces for system tests: unique names, everything created is recorded
 * so that cleanup() removes it even when a test failed half way.
 */
export class Lab {
  readonly id = randomBytes(3).toString('hex');
  private readonly namespaces: string[] = [];

  /** Creates namespace `gn<id><suffix>` with loopback up. */
  namespace(suffix: string): string {
    const name = `gn${this.id}${suffix}`;
    sh('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
    this.exec(name, 'ip', ['link', 'set', 'lo', 'up']);
    this.sysctl(name, { 'net.ipv6.conf.all.accept_dad': '0', 'net.ipv6.conf.default.accept_dad': '0' });
    return name;
  }

  /** Sets sysctls inside `ns` through /proc (no dependency on procps). */
  sysctl(ns: string, settings: Record<string, string>): void {
    for (const [key, value] of Object.entries(settings)) {
      this.exec(ns, 'tee', [`/proc/sys/${key.replaceAll('.', '/')}`], { input: `${value}\n` });
    }
  }

  /** A veth pair between two namespaces (names at most 15 characters). */
  veth(a: { ns: string; name: string; addresses?: string[] }, b: { ns: string; name: string; addresses?: string[] }): void {
    const tmp = `gnv${this.id}`;
    sh('ip', ['link', 'add', tmp, 'netns', a.ns, 'type', 'veth', 'peer', 'name', `${tmp}p`, 'netns', b.ns]);
    this.exec(a.ns, 'ip', ['link', 'set', tmp, 'name', a.name]);
    this.exec(b.ns, 'ip', ['link', 'set', `${tmp}p`, 'name', b.name]);
    for (const side of [a, b]) {
      for (const addr of side.addresses ?? []) this.exec(side.ns, 'ip', ['addr', 'add', addr, 'dev', side.name]);
      this.exec(side.ns, 'ip', ['link', 'set', side.name, 'up']);
    }
  }

  /**
   * A namespace whose `up0` reaches a neighbor at 10.99.0.2 and
   * 2001:db8:99::2: the next hop that route tests point at.
   */
  routedNamespace(suffix: string): string {
    const ns = this.namespace(suffix);
    this.veth(
      { ns, name: 'up0', addresses: ['10.99.0.1/24', '2001:db8:99::1/64'] },
      { ns: this.namespace(`${suffix}n`), name: 'down0', addresses: ['10.99.0.2/24', '2001:db8:99::2/64'] },
    );
    return ns;
  }

  exec(ns: string, command: string, args: string[], options: { input?: string } = {}): string {
    return sh('ip', ['netns', 'exec', ns, command, ...args], options);
  }

  /** Runs a command that may fail; returns its exit status. */
  status(ns: string, command: string, args: string[]): number {
    try {
      sh('ip', ['netns', 'exec', ns, command, ...args]);
      return 0;
    } catch (err) {
      return (err as { status?: number }).status ?? 1;
    }
  }

  cleanup(): void {
    for (const ns of this.namespaces.splice(0).reverse()) {
      try {
        sh('ip', ['netns', 'del', ns]);
      } catch {
        // Already gone: nothing left to remove.
      }
    }
  }
}

export function sh(command: string, args: string[], options: { input?: string } = {}): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], input: options.input ?? '' });
}
