import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { run } from '../system/run.js';

/**
 * A Node.js program running inside a network namespace (a process cannot
 * switch namespace itself, so the test's helpers run as children under
 * `ip netns exec`). It speaks JSON lines on stdout and takes commands as
 * lines on stdin.
 */
export interface NetnsChild {
  /** Every JSON line received so far, in order. */
  readonly lines: Array<Record<string, unknown>>;
  send(command: string): void;
  /** Resolves with the first line (already received or future) that matches, or rejects after `timeoutMs`. */
  waitFor(match: (line: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** The repository root: the nearest parent holding package.json (this file also runs compiled, from dist/). */
function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'tsconfig.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the garagenet repository root above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

const repoRoot = findRepoRoot();
const bundles = new Map<string, string>();

/**
 * Bundles a TypeScript entry (path relative to the repository) into one
 * JavaScript file with esbuild (vitest's own compiler), so that tests and
 * benchmarks run it without a prior `npm run build`. The bundle goes into a
 * temporary directory named by `tempPrefix`, removed by the topology's teardown.
 */
async function bundle(entry: string, tempPrefix: string): Promise<string> {
  const cached = bundles.get(`${tempPrefix}:${entry}`);
  if (cached !== undefined) return cached;
  const { build } = await import('esbuild');
  const outdir = await mkdtemp(join(tmpdir(), `${tempPrefix}-bundle-`));
  const outfile = join(outdir, 'main.mjs');
  await build({
    entryPoints: [join(repoRoot, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    // CommonJS dependencies (pino) call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __gnCreateRequire } from 'node:module'; const require = __gnCreateRequire(import.meta.url);" },
  });
  bundles.set(`${tempPrefix}:${entry}`, outfile);
  return outfile;
}

export async function spawnInNetns(netns: string, entry: string, options: { args?: string[]; tempPrefix: string }): Promise<NetnsChild> {
  const script = await bundle(entry, options.tempPrefix);
  const child: ChildProcess = spawn('ip', ['netns', 'exec', netns, process.execPath, script, ...(options.args ?? [])], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, GARAGENET_LOG: 'silent' },
  });
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<{ match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }> = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.match(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  return {
    lines,
    send(command: string): void {
      child.stdin?.write(`${command}\n`);
    },
    waitFor(match, timeoutMs): Promise<Record<string, unknown>> {
      const seen = lines.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolveLine, reject) => {
        const waiter = {
          match,
          resolve: (line: Record<string, unknown>) => {
            clearTimeout(timer);
            resolveLine(line);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`${entry} in ${netns}: no matching line within ${timeoutMs} ms; last lines: ${JSON.stringify(lines.slice(-3))}; stderr: ${stderr.trim() || '(none)'}`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    async stop(): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * GET `url` from inside `netns` and return the body; a non-2xx status rejects.
 * Node's own fetch in a child under `ip netns exec`, so the tests need no HTTP client package.
 */
export async function httpGetInNetns(netns: string, url: string): Promise<string> {
  const script =
    "fetch(process.argv[1]).then(async (r) => { if (!r.ok) { process.stderr.write(`${r.status} ${r.statusText}`); process.exit(1); } process.stdout.write(await r.text()); })";
  return run(process.execPath, ['-e', script, url], { netns });
}
