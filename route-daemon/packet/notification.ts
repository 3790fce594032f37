import { CeaseSubcode, ErrorCode, FsmSubcode, HeaderSubcode, OpenSubcode, RouteRefreshSubcode, UpdateSubcode } from './types.js';
import type { NotificationFields } from './types.js';

/** Readable NOTIFICATIONs for logs and the CLI, and the shutdown communication of RFC 9003. */

const CODE_NAMES: Readonly<Record<number, string>> = {
  [ErrorCode.MessageHeader]: 'Message Header Error',
  [ErrorCode.OpenMessage]: 'OPEN Message Error',
  [ErrorCode.UpdateMessage]: 'UPDATE Message Error',
  [ErrorCode.HoldTimerExpired]: 'Hold Timer Expired',
  [ErrorCode.FiniteStateMachine]: 'Finite State Machine Error',
  [ErrorCode.Cease]: 'Cease',
  [ErrorCode.RouteRefreshMessage]: 'ROUTE-REFRESH Message Error',
};

const SUBCODES: Readonly<Record<number, Readonly<Record<string, number>>>> = {
  [ErrorCode.MessageHeader]: HeaderSubcode,
  [ErrorCode.OpenMessage]: OpenSubcode,
  [ErrorCode.UpdateMessage]: UpdateSubcode,
  [ErrorCode.FiniteStateMachine]: FsmSubcode,
  [ErrorCode.Cease]: CeaseSubcode,
  [ErrorCode.RouteRefreshMessage]: RouteRefreshSubcode,
};

/** "MalformedAsPath" -> "Malformed AS_PATH"; names come from the constants of types.ts. */
function spaced(name: string): string {
  return name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace('As Path', 'AS_PATH')
    .replace('Next Hop', 'NEXT_HOP')
    .replace('Bgp', 'BGP')
    .replace(/\bAs\b/g, 'AS');
}

/** E.g. "Cease / Administrative Shutdown", "UPDATE Message Error / Malformed AS_PATH", "code 9 / subcode 1". */
export function notificationName(fields: Pick<NotificationFields, 'code' | 'subcode'>): string {
  const code = CODE_NAMES[fields.code] ?? `code ${fields.code}`;
  const subcodes = SUBCODES[fields.code];
  const subName = subcodes ? Object.entries(subcodes).find(([, value]) => value === fields.subcode)?.[0] : undefined;
  if (subName !== undefined) return `${code} / ${spaced(subName)}`;
  return fields.subcode === 0 ? code : `${code} / subcode ${fields.subcode}`;
}

function carriesCommunication(fields: Pick<NotificationFields, 'code' | 'subcode'>): boolean {
  return fields.code === ErrorCode.Cease && (fields.subcode === CeaseSubcode.AdministrativeShutdown || fields.subcode === CeaseSubcode.AdministrativeReset);
}

/** The operator's message in a Cease Administrative Shutdown/Reset (RFC 9003), or null if none or invalid. */
export function shutdownCommunication(fields: NotificationFields): string | null {
  if (!carriesCommunication(fields) || fields.data.length === 0) return null;
  const length = fields.data[0]!;
  if (length === 0 || 1 + length > fields.data.length) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(fields.data.subarray(1, 1 + length));
  } catch {
    return null;
  }
}

/** NOTIFICATION data carrying `message`, cut to 255 octets without splitting a character. */
export function shutdownData(message: string): Buffer {
  let bytes = Buffer.from(message, 'utf8');
  if (bytes.length > 255) {
    let end = 255;
    while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--; // back to the start of a character
    bytes = bytes.subarray(0, end);
  }
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}
