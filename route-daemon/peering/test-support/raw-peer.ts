import { createServer, Socket, type AddressInfo } from 'node:net';
import { decodeMessage, encodeMessage } from '../../packet/codec.js';
import { MessageFramer } from '../../packet/framer.js';
import { MessageType, type BgpMessage, type Capability, type CodecOptions, type OpenMessage } from '../../packet/types.js';

/**
 * A BGP peer scripted by a test, message by message, over a real TCP
 * connection: it sends exactly what the test says (including garbage) and
 * records everything the daemon sends back. Built on the real codec.
 */

const CODEC: CodecOptions = { fourOctetAs: true, families: [{ afi: 1, safi: 1 }, { afi: 2, safi: 1 }] };

export class RawPeer {
  private readonly framer = new MessageFramer();
  readonly received: BgpMessage[] = [];
  private waiters: (() => void)[] = [];
  private keepalives: NodeJS.Timeout | undefined;
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      const { messages, error } = this.framer.push(chunk);
      for (const raw of messages) this.received.push(decodeMessage(raw, CODEC));
      if (error) this.socket.destroy(error);
      this.wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(this.keepalives);
      this.closed = true;
      this.wake();
    });
  }

  static connect(options: { host: string; port: number; localAddress: string }): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = new Socket();
      socket.once('error', reject);
      socket.connect(options, () => resolve(new RawPeer(socket)));
    });
  }

  /** Listens on `host` and resolves each accepted connection as a RawPeer. */
  static async listen(host: string): Promise<{ port: number; next(): Promise<RawPeer>; close(): void }> {
    const accepted: RawPeer[] = [];
    let notify: (() => void) | undefined;
    const server = createServer((socket) => {
      accepted.push(new RawPeer(socket));
      notify?.();
    });
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    return {
      port: (server.address() as AddressInfo).port,
      next: async () => {
        while (accepted.length === 0) await new Promise<void>((r) => (notify = r));
        return accepted.shift()!;
      },
      close: () => server.close(),
    };
  }

  send(message: BgpMessage): void {
    this.socket.write(encodeMessage(message, CODEC));
  }

  /** Sends a KEEPALIVE every `ms` until the connection closes, like a live peer. */
  keepSending(ms: number): void {
    this.keepalives = setInterval(() => this.send({ type: MessageType.Keepalive }), ms);
  }

  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Waits for (and removes) the first received message matching `type`, or fails after `timeoutMs`. */
  async next<T extends BgpMessage['type']>(type: T, timeoutMs = 10_000): Promise<Extract<BgpMessage, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.received.findIndex((m) => m.type === type);
      if (i >= 0) return this.received.splice(i, 1)[0] as Extract<BgpMessage, { type: T }>;
      if (this.closed) throw new Error(`connection closed before a message of type ${type} arrived`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message of type ${type} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves when the daemon has closed the connection. */
  async waitClosed(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection still open');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Sends our OPEN, reads theirs, and exchanges KEEPALIVEs; returns the daemon's OPEN. */
  async establish(open: { asn: number; bgpId: number; holdTime?: number; capabilities?: Capability[] }): Promise<OpenMessage> {
    this.sendOpen(open);
    const theirs = await this.next(MessageType.Open);
    this.send({ type: MessageType.Keepalive });
    await this.next(MessageType.Keepalive);
    return theirs;
  }

  sendOpen(open: { asn: number; bgpId: number; holdTime?: number; capabilities?: Capability[] }): void {
    this.send({
      type: MessageType.Open,
      version: 4,
      myAs: open.asn > 0xffff ? 23456 : open.asn,
      holdTime: open.holdTime ?? 90,
      bgpId: open.bgpId,
      capabilities: open.capabilities ?? [
        { kind: 'multiprotocol', afi: 1, safi: 1 },
        { kind: 'multiprotocol', afi: 2, safi: 1 },
        { kind: 'route-refresh' },
        { kind: 'four-octet-as', asn: open.asn },
      ],
    });
  }

  close(): void {
    clearInterval(this.keepalives);
    this.socket.destroy();
  }
}
