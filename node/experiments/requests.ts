import { UserError } from '../../common/errors.js';
import type { Attachments } from './attachments.js';

/** The agent's side of `garagenet experiment VERB`: the query string turned into a call. */
export async function experimentRequest(attachments: Attachments, verb: string, params: URLSearchParams): Promise<unknown> {
  const name = params.get('name');
  if (!name) throw new UserError('no experiment name given');
  if (verb === 'attach') {
    const routerAddress = params.get('router');
    if (!routerAddress) throw new UserError('no --router-address given');
    const netns = params.get('netns');
    const iface = params.get('iface');
    return attachments.attach({ experiment: name, routerAddress, ...(netns ? { netns } : {}), ...(iface ? { iface } : {}) });
  }
  if (verb === 'stop') return attachments.stop(name, { reason: 'stopped by the operator (garagenet experiment stop)', updateRegistry: true });
  if (verb === 'status') return attachments.status(name);
  throw new UserError(`no experiment verb ${verb}`);
}
