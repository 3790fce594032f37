import { execFile } from 'node:child_process';
import { UserError } from '../../common/errors.js';

export interface RunOptions {
  /** Run inside this network namespace (through `ip netns exec`). */
  netns?: string;
  /** Written to the command's stdin (how secrets reach `wg`, never through argv). */
  input?: string;
  timeoutMs?: number;
}

/** Thrown when a system command exits non-zero; carries its stderr for the one-line report. */
export class CommandError extends UserError {
  readonly command: string;
  readonly stderr: string;

  constructor(command: string, stderr: string, hint?: string) {
    super(`${command} failed: ${stderr.trim().split('\n')[0] ?? 'no output'}`, hint === undefined ? {} : { hint });
    this.name = 'CommandError';
    this.command = command;
    this.stderr = stderr;
  }
}

function missingToolHint(tool: string): string {
  const packages: Record<string, string> = {
    wg: 'wireguard-tools',
    'wireguard-go': 'wireguard-go',
    ip: 'iproute2',
    nft: 'nftables',
  };
  return `install it: apt-get install -y ${packages[tool] ?? tool}`;
}

/**
 * Runs a system tool (ip, wg, nft...) and returns its stdout. A missing tool
 * or a non-zero exit becomes one clear error naming the command.
 */
export function run(tool: string, args: string[], options: RunOptions = {}): Promise<string> {
  const [file, argv] = options.netns === undefined ? [tool, args] : ['ip', ['netns', 'exec', options.netns, tool, ...args]];
  const shown = `${tool} ${args.join(' ')}`.trim();
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      argv,
      { timeout: options.timeoutMs ?? 10_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err === null) {
          resolve(stdout);
          return;
        }
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || /No such file or directory/.test(stderr) && stderr.includes(`exec of "${tool}"`)) {
          reject(new CommandError(shown, `${tool} not found`, missingToolHint(tool)));
          return;
        }
        reject(new CommandError(shown, stderr || err.message));
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}
