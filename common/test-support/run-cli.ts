import type { Command } from 'commander';

export interface CliResult {
  out: string;
  err: string;
  code: number;
}

/**
 * Runs one `garagenet ...` command line in-process against `program` (built
 * with exitOverride) and returns what it printed and its exit code, the way
 * an operator's shell would see them.
 */
export async function runCli(program: Command, args: string[]): Promise<CliResult> {
  let out = '';
  let err = '';
  const stdoutWrite = process.stdout.write;
  const stderrWrite = process.stderr.write;
  process.stdout.write = ((chunk: unknown) => ((out += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: unknown) => ((err += String(chunk)), true)) as typeof process.stderr.write;
  process.exitCode = 0;
  try {
    await program.parseAsync(['node', 'garagenet', ...args]);
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { out, err, code };
}
