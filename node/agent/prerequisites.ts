import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { UserError } from '../../common/errors.js';

/**
 * What a node needs before it changes anything: root, the tools it drives
 * and a tun device for wireguard-go. Every missing piece is named with the
 * command that installs it, all at once, so one run tells the whole story.
 */

export interface Requirement {
  what: string;
  fix: string;
  present: boolean;
}

async function onPath(tool: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    try {
      await access(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      // try the next directory
    }
  }
  return false;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export async function checkPrerequisites(): Promise<Requirement[]> {
  return [
    { what: 'root (network changes need CAP_NET_ADMIN)', fix: 'run it with sudo', present: process.getuid?.() === 0 },
    { what: '`wg` (wireguard-tools)', fix: 'apt-get install -y wireguard-tools', present: await onPath('wg') },
    { what: '`ip` (iproute2)', fix: 'apt-get install -y iproute2', present: await onPath('ip') },
    { what: '`nft` (nftables)', fix: 'apt-get install -y nftables', present: await onPath('nft') },
    { what: '`wireguard-go` (this kernel may lack WireGuard)', fix: 'apt-get install -y wireguard-go', present: await onPath('wireguard-go') },
    { what: '/dev/net/tun', fix: 'modprobe tun', present: await exists('/dev/net/tun') },
  ];
}

/** Throws one line naming everything that is missing and how to get it. */
export async function requirePrerequisites(): Promise<void> {
  const missing = (await checkPrerequisites()).filter((r) => !r.present);
  if (missing.length === 0) return;
  throw new UserError(`missing ${missing.map((m) => m.what).join(', ')}`, { hint: missing.map((m) => m.fix).join('; ') });
}
