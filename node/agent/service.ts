import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { oneLine, UserError } from '../../common/errors.js';
import { run } from '../system/run.js';
import type { StatePaths } from '../state/layout.js';

/**
 * `join --service`: a systemd unit that runs `garagenet up --foreground`,
 * enabled and started. Without systemd running as PID 1 the join is refused
 * before anything changes: an operator who asked for a service expects the
 * node back after a reboot, and a background agent would silently not be.
 */

const UNIT_NAME = 'garagenet.service';
export const UNIT_FILE = `/etc/systemd/system/${UNIT_NAME}`;
/** sd_booted(3): systemd runs as PID 1 exactly when this directory exists. */
const SYSTEMD_RUNTIME_DIR = '/run/systemd/system';

export function systemdRunning(): boolean {
  return existsSync(SYSTEMD_RUNTIME_DIR);
}

/** Throws one line when `--service` cannot be honoured on this machine. */
export function requireSystemd(): void {
  if (systemdRunning()) return;
  throw new UserError(`--service needs systemd running as PID 1, and this machine has none (${SYSTEMD_RUNTIME_DIR} is missing); nothing changed`, {
    hint: 'join without --service (the agent runs in the background) and start it at boot with `garagenet up`',
  });
}

/** One ExecStart word: quoted when it holds spaces or quotes, with systemd's specifier character `%` doubled. */
function execWord(word: string): string {
  const escaped = word.replace(/%/g, '%%');
  return /[\s"'\\]/.test(escaped) ? `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : escaped;
}

export function unitText(paths: StatePaths, options: { execPath?: string; script?: string } = {}): string {
  const command = [options.execPath ?? process.execPath, options.script ?? process.argv[1] ?? 'garagenet', 'up', '--foreground', '--state-dir', paths.dir];
  return `[Unit]
Description=garagenet node agent
After=network-online.target
Wants=network-online.target

[Service]
ExecStart=${command.map(execWord).join(' ')}
# SIGUSR2 on restart: the agent exits and the tunnels keep forwarding until it is back.
ExecReload=/bin/kill -USR2 $MAINPID
Restart=on-failure
RestartSec=2

[Install]
WantedBy=multi-user.target
`;
}

export async function installService(paths: StatePaths): Promise<void> {
  try {
    await writeFile(UNIT_FILE, unitText(paths), { mode: 0o644 });
    await run('systemctl', ['daemon-reload']);
    await run('systemctl', ['enable', '--now', UNIT_NAME]);
  } catch (err) {
    throw new UserError(`joined, but the service did not start: ${oneLine(err)}`, { hint: `see \`systemctl status ${UNIT_NAME}\`; \`garagenet up\` starts the node by hand` });
  }
}
