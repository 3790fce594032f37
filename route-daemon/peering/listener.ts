import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../common/log.js';
import { formatAddress, parseAddress } from '../../common/prefix.js';
import { UserError } from '../../common/errors.js';

/**
 * Accepts BGP connections on the configured addresses and hands each to the
 * session of the peer it comes from. A connection from an address that is
 * not a configured peer is closed at once, before it can say anything.
 */

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export interface PeerDirectory {
  /** The session for a connection, by the peer's address and ours (canonical text), if one is configured. */
  sessionFor(remote: string, local: string): { accept(socket: Socket): void } | undefined;
}

/** The canonical text of a remote address, with IPv4-mapped IPv6 (::ffff:a.b.c.d) unwrapped. */
export function canonicalAddress(text: string): string {
  const plain = text.startsWith('::ffff:') && text.includes('.') ? text.slice(7) : text;
  return formatAddress(parseAddress(plain));
}

export class BgpListener {
  private readonly servers: Server[] = [];
  private refusedCount = 0;

  constructor(private readonly peers: PeerDirectory, private readonly log: Logger) {}

  async listen(addresses: readonly ListenAddress[]): Promise<void> {
    for (const where of addresses) {
      const server = createServer((socket) => this.route(socket));
      server.on('error', (err) => this.log.error({ err: err.message, ...where }, 'BGP listener error'));
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err: NodeJS.ErrnoException) =>
          reject(new UserError(`cannot listen for BGP on ${where.host} port ${where.port}: ${err.code ?? err.message}`, {
            hint: err.code === 'EADDRINUSE' ? 'another BGP daemon is using the port; stop it or set listen port' : 'check the listen address in the config file',
          })));
        server.listen({ host: where.host, port: where.port, ...(where.host === '::' ? { ipv6Only: false } : {}) }, resolve);
      });
      this.servers.push(server);
      this.log.info(where, 'listening for BGP');
    }
  }

  /** The port actually bound by the first listener (useful when configured as 0). */
  /** Connections closed at once because no configured peer has the remote address. */
  get refused(): number {
    return this.refusedCount;
  }

  get port(): number {
    const address = this.servers[0]?.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  private route(socket: Socket): void {
    socket.on('error', () => socket.destroy());
    const remote = socket.remoteAddress ? canonicalAddress(socket.remoteAddress) : undefined;
    const local = socket.localAddress ? canonicalAddress(socket.localAddress) : '';
    const session = remote ? this.peers.sessionFor(remote, local) : undefined;
    if (!session) {
      this.refusedCount++;
      this.log.info({ remote }, 'closing a BGP connection from an address that is not a configured peer');
      socket.destroy();
      return;
    }
    session.accept(socket);
  }

  /** Stops accepting. Connections already handed to sessions are theirs to close (server.close would wait for them). */
  close(): void {
    for (const server of this.servers) server.close();
    this.servers.length = 0;
  }
}
