import { writeFile } from 'node:fs/promises';
import { UserError } from '../../common/errors.js';
import { run } from '../system/run.js';
import { startInBackground } from './background.js';
import type { StatePaths } from '../state/layout.js';

/** `join --service`: a systemd unit that runs `garagenet up --foreground`, enabled and started. */

export const UNIT_FILE = '/etc/systemd/system/garagenet.service';

export function unitText(paths: StatePaths): string {
  const script = process.argv[1] ?? 'garagenet';
  return `[Unit]
Description=garagenet node agent
After=network-online.target
Wants=network-online.target

[Service]
ExecStart=${process.execPath} ${script} up --foreground --state-dir ${paths.dir}
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
    await run('systemctl', ['--version']);
  } catch {
    await startInBackground(paths);
    throw new UserError('joined, and the agent runs in the background, but systemd is not available to install the service', {
      hint: 'start it at boot another way: `garagenet up`',
    });
  }
  await writeFile(UNIT_FILE, unitText(paths), { mode: 0o644 });
  await run('systemctl', ['daemon-reload']);
  await run('systemctl', ['enable', '--now', 'garagenet.service']);
}
