import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../common/errors.js';

/** The raw classes of the C++ addon (native/src): a transport, no encoding. */

export interface RawRequestError {
  /** Position of the refused message in the batch. */
  readonly index: number;
  readonly errno: number;
  readonly code: string;
  readonly message: string;
}

export interface RawRouteSocket {
  transact(messages: Buffer, perSend: number): Promise<{ errors: RawRequestError[]; sends: number }>;
  dump(request: Buffer): Promise<Buffer>;
  close(): void;
}

export interface RawEventSocket {
  close(): void;
}

interface Addon {
  RouteSocket: new (netnsPath?: string) => RawRouteSocket;
  EventSocket: new (
    netnsPath: string,
    groups: number[],
    onMessages: (chunk: Buffer | null) => void,
    receiveBufferBytes?: number,
  ) => RawEventSocket;
}

let loaded: Addon | undefined;

/** Loads build/Release/garagenet_native.node, found from both the sources and dist/. */
export function loadAddon(): Addon {
  if (loaded) return loaded;
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'build'), join(here, '..', '..', 'native', 'build')].map((d) =>
    join(d, 'Release', 'garagenet_native.node'),
  );
  const file = candidates.find((c) => existsSync(c));
  if (!file) {
    throw new UserError('the native rtnetlink addon is not built', { hint: 'run npm run build:native' });
  }
  loaded = createRequire(import.meta.url)(file) as Addon;
  return loaded;
}
