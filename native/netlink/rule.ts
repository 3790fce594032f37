import {
  AF_INET,
  AF_INET6,
  FRA_DST,
  FRA_FWMARK,
  FRA_FWMASK,
  FRA_IIFNAME,
  FRA_PRIORITY,
  FRA_PROTOCOL,
  FRA_SRC,
  FRA_TABLE,
  FR_ACT_TO_TBL,
  FR_ACT_UNREACHABLE,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REQUEST,
  RTM_DELRULE,
  RTM_GETRULE,
  RTM_NEWRULE,
  RT_TABLE_COMPAT,
} from './constants.js';
import { formatWireAddress, parseWirePrefix, type IpFamily } from './ip.js';
import { forEachAttribute, readCString, type MessageView, type MessageWriter } from './message.js';

/** Policy routing rules (struct fib_rule_hdr + FRA_* attributes). */

export interface RuleFields {
  readonly family: IpFamily;
  readonly priority: number;
  /** Lookup table; ignored when `action` is 'unreachable'. */
  readonly table?: number;
  readonly action?: 'lookup' | 'unreachable';
  readonly from?: string;
  readonly to?: string;
  readonly iif?: string;
  readonly fwmark?: number;
  readonly fwmask?: number;
  /** Owner tag (FRA_PROTOCOL), like a route's. */
  readonly protocol?: number;
}

export interface DecodedRule extends Omit<RuleFields, 'action' | 'table' | 'protocol'> {
  readonly action: 'lookup' | 'unreachable' | 'other';
  readonly table: number;
  readonly protocol: number;
}

export function encodeRule(writer: MessageWriter, rule: RuleFields, options: { op: 'add' | 'delete' }): void {
  const { op } = options;
  const from = rule.from === undefined ? undefined : parseWirePrefix(rule.from, `rule ${rule.priority} from`);
  const to = rule.to === undefined ? undefined : parseWirePrefix(rule.to, `rule ${rule.priority} to`);
  for (const p of [from, to]) {
    if (p && p.family !== rule.family) throw new TypeError(`rule ${rule.priority}: prefix family differs from IPv${rule.family}`);
  }
  writer.begin(op === 'add' ? RTM_NEWRULE : RTM_DELRULE, op === 'add' ? NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL : NLM_F_REQUEST);
  const h = writer.header(12);
  const table = rule.table ?? 0;
  writer.u8(h, rule.family === 4 ? AF_INET : AF_INET6);
  writer.u8(h + 1, to?.length ?? 0);
  writer.u8(h + 2, from?.length ?? 0);
  writer.u8(h + 4, table < 256 ? table : RT_TABLE_COMPAT);
  writer.u8(h + 7, rule.action === 'unreachable' ? FR_ACT_UNREACHABLE : FR_ACT_TO_TBL);
  writer.attrU32(FRA_PRIORITY, rule.priority);
  if (rule.action !== 'unreachable') writer.attrU32(FRA_TABLE, table);
  if (from) writer.attrBytes(FRA_SRC, from.bytes);
  if (to) writer.attrBytes(FRA_DST, to.bytes);
  if (rule.iif !== undefined) writer.attrString(FRA_IIFNAME, rule.iif);
  if (rule.fwmark !== undefined) writer.attrU32(FRA_FWMARK, rule.fwmark);
  if (rule.fwmask !== undefined) writer.attrU32(FRA_FWMASK, rule.fwmask);
  if (rule.protocol !== undefined) {
    writer.attrBytes(FRA_PROTOCOL, Uint8Array.of(rule.protocol));
  }
  writer.end();
}

export function encodeRuleDump(writer: MessageWriter, family: IpFamily): void {
  writer.begin(RTM_GETRULE, NLM_F_REQUEST);
  const h = writer.header(12);
  writer.u8(h, family === 4 ? AF_INET : AF_INET6);
  writer.end();
}

export function decodeRule(buffer: Buffer, message: MessageView): DecodedRule | null {
  const p = message.payload;
  if (message.end - p < 12) return null;
  const af = buffer[p]!;
  if (af !== AF_INET && af !== AF_INET6) return null;
  const family: IpFamily = af === AF_INET ? 4 : 6;
  const actionNumber = buffer[p + 7]!;
  const action = actionNumber === FR_ACT_TO_TBL ? 'lookup' : actionNumber === FR_ACT_UNREACHABLE ? 'unreachable' : 'other';
  let table = buffer[p + 4]!;
  let priority = 0;
  let protocol = 0;
  const selectors: { from?: string; to?: string; iif?: string; fwmark?: number; fwmask?: number } = {};
  forEachAttribute(buffer, { start: p + 12, end: message.end }, (attr, start, end) => {
    if (attr === FRA_PRIORITY) priority = buffer.readUInt32LE(start);
    else if (attr === FRA_TABLE) table = buffer.readUInt32LE(start);
    else if (attr === FRA_PROTOCOL) protocol = buffer[start]!;
    else if (attr === FRA_SRC) selectors.from = `${formatWireAddress(buffer, { at: start, family })}/${buffer[p + 2]}`;
    else if (attr === FRA_DST) selectors.to = `${formatWireAddress(buffer, { at: start, family })}/${buffer[p + 1]}`;
    else if (attr === FRA_IIFNAME) selectors.iif = readCString(buffer, { start, end });
    else if (attr === FRA_FWMARK) selectors.fwmark = buffer.readUInt32LE(start);
    else if (attr === FRA_FWMASK) selectors.fwmask = buffer.readUInt32LE(start);
  });
  return { family, priority, table, action, protocol, ...selectors };
}
