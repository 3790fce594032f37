import { isIP } from 'node:net';
import { parsePrefix, type Prefix } from '../common/prefix.js';
import { invalidArgument } from './rpc-error.js';

/** Request checks shared by the handlers; each throws INVALID_ARGUMENT naming the field. */

const NAME = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

/** Names of organizations, nodes and experiments: they become parts of etcd keys and of credentials. */
export function checkName(field: string, value: string): string {
  if (!NAME.test(value)) {
    throw invalidArgument(field, `"${value}" is not a valid name (1-32 of a-z, 0-9 and "-", not starting or ending with "-")`);
  }
  return value;
}

/** A WireGuard public key: base64 of 32 bytes, as `wg pubkey` prints it. */
export function checkPublicKey(field: string, value: string): string {
  if (!/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(value) || Buffer.from(value, 'base64').length !== 32) {
    throw invalidArgument(field, `"${value}" is not a WireGuard public key (44 characters of base64, as \`wg pubkey\` prints)`);
  }
  return value;
}

/** "host:port", "a.b.c.d:port" or "[v6]:port". */
export function checkEndpoints(field: string, values: string[]): string[] {
  if (values.length > 16) throw invalidArgument(field, `${values.length} endpoints given; at most 16`);
  values.forEach((value, i) => {
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]{1,253})):(\d{1,5})$/.exec(value);
    const port = m ? Number(m[3]) : 0;
    const hostOk = m !== null && (m[1] !== undefined ? isIP(m[1]) === 6 : !/^[\d.]+$/.test(m[2]!) || isIP(m[2]!) === 4);
    if (!m || !hostOk || port < 1 || port > 65535) {
      throw invalidArgument(`${field}[${i}]`, `"${value}" is not host:port (write 192.0.2.1:51820 or [2001:db8::1]:51820)`);
    }
  });
  return values;
}

export function checkPrefix(field: string, value: string): Prefix {
  try {
    return parsePrefix(value);
  } catch (err) {
    throw invalidArgument(field, (err as Error).message);
  }
}

export function checkRange(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw invalidArgument(field, `${value} is outside ${min}..${max}`);
  return value;
}
