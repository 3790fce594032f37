import type { Command } from 'commander';
import { UserError } from '../../common/errors.js';
import { RegistryClient } from '../client.js';
import { DEFAULT_STATE_DIR, loadState, type RegistryState } from '../state.js';

/** Options every `garagenet registry` verb shares. */
export interface GroupOptions {
  state: string;
  registry?: string;
}

export function groupOptions(command: Command): GroupOptions {
  const o = command.optsWithGlobals<Partial<GroupOptions>>();
  return { state: o.state ?? DEFAULT_STATE_DIR, ...(o.registry ? { registry: o.registry } : {}) };
}

/** An administrator client built from the state directory (certificate, credential, address). */
export function adminClient(command: Command): { client: RegistryClient; state: RegistryState } {
  const options = groupOptions(command);
  const state = loadState(options.state);
  const client = new RegistryClient(options.registry ?? state.address, { certPem: state.certPem, credential: state.adminCredential });
  return { client, state };
}

/** Runs one admin call and always closes the client. */
export async function withAdmin<T>(command: Command, run: (client: RegistryClient) => Promise<T>): Promise<T> {
  const { client } = adminClient(command);
  try {
    return await run(client);
  } finally {
    client.close();
  }
}

/** An option's whole number above zero; 0 when the option was not given. */
export function positiveInt(option: string, text: string | undefined): number {
  if (text === undefined) return 0;
  if (!/^\d+$/.test(text) || Number(text) === 0) throw new UserError(`${option} "${text}" is not a positive whole number`);
  return Number(text);
}
