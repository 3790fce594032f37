import { UserError } from '../common/errors.js';

/**
 * The join string an operator pastes into `garagenet join`: where the
 * registry is, the pin of its TLS certificate (checked before anything secret
 * is sent), and the invitation's single-use secret. One opaque token:
 * "gnjoin1." + base64url(JSON).
 */

export interface JoinTicket {
  registry: string;   // host:port
  pin: string;        // sha256:<base64url> of the registry certificate
  invitation: string; // invitation id
  secret: string;
}

const TAG = 'gnjoin1.';
const HINT = 'copy the whole join string printed by `garagenet registry invite`';

export function encodeJoinString(ticket: JoinTicket): string {
  const body = JSON.stringify({ r: ticket.registry, p: ticket.pin, i: ticket.invitation, s: ticket.secret });
  return TAG + Buffer.from(body).toString('base64url');
}

export function decodeJoinString(text: string): JoinTicket {
  const trimmed = text.trim();
  if (!trimmed.startsWith(TAG)) throw new UserError('join string: it does not start with "gnjoin1."', { hint: HINT });
  let fields: Record<string, unknown>;
  try {
    fields = JSON.parse(Buffer.from(trimmed.slice(TAG.length), 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new UserError('join string: it is damaged (not valid base64url JSON)', { hint: HINT });
  }
  const field = (key: string, name: string, pattern: RegExp): string => {
    const value = fields[key];
    if (typeof value !== 'string' || !pattern.test(value)) throw new UserError(`join string: the ${name} is missing or malformed`, { hint: HINT });
    return value;
  };
  return {
    registry: field('r', 'registry address', /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/),
    pin: field('p', 'certificate pin', /^sha256:[A-Za-z0-9_-]{43}$/),
    invitation: field('i', 'invitation id', /^[A-Za-z0-9_-]{1,64}$/),
    secret: field('s', 'secret', /^[A-Za-z0-9_-]{16,128}$/),
  };
}
