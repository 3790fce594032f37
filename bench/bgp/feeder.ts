import { once } from 'node:events';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { emptyAttributes } from '../../route-daemon/packet/attributes.js';
import { openAsn } from '../../route-daemon/packet/capabilities.js';
import { decodeMessage, encodeMessage } from '../../route-daemon/packet/codec.js';
import { MessageFramer } from '../../route-daemon/packet/framer.js';
import { IPV4_UNICAST, MessageType } from '../../route-daemon/packet/types.js';
import type { BgpMessage, CodecOptions } from '../../route-daemon/packet/types.js';
import { FULL_TABLE, loadTableStream } from './table.js';

/**
 * The benchmark's BGP feeder: connects to a receiver, brings the session up, writes
 * the whole pre-encoded UPDATE stream plus End-of-RIB at once, then only keeps the
 * session alive. Everything is encoded before the session starts, so the feeder's
 * send time is the kernel's, and it outruns any receiver.
 */

export interface FeederOptions {
  readonly host: string;
  readonly port: number;
  /** Source address to bind, e.g. the feeder's address in its namespace. */
  readonly localAddress?: string;
  readonly localAs: number;
  readonly routerId: number;
  /** The AS the receiver must announce in its OPEN. */
  readonly peerAs: number;
  readonly holdTime?: number;
  /** Called when the session is up, just before the first UPDATE is written. */
  readonly onEstablished?: () => void;
}

export interface FeedResult {
  /** Seconds from Established until the last octet was handed to the kernel. */
  readonly sendSeconds: number;
  readonly bytes: number;
  /** Writes more UPDATEs (e.g. churn); resolves once the kernel took the last octet. */
  send(messages: Buffer): Promise<void>;
  /** Ends the session (NOTIFICATION Cease) and closes the socket. */
  close(): Promise<void>;
}

const CODEC: CodecOptions = { fourOctetAs: true, families: [IPV4_UNICAST] };
/** An UPDATE with no withdrawals, attributes or NLRI: End-of-RIB for IPv4 unicast (RFC 4724 §2). */
const END_OF_RIB = encodeMessage(
  { type: MessageType.Update, withdrawn: [], attributes: emptyAttributes(), nlri: [], attributeLength: 0, problems: [] },
  CODEC,
);

/** Decodes the receiver's messages as they arrive and hands them out in order. */
class MessageReader {
  private readonly framer = new MessageFramer();
  private readonly queue: BgpMessage[] = [];
  private keeping = true;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;

  constructor(socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      const { messages, error } = this.framer.push(chunk);
      if (this.keeping) for (const bytes of messages) this.queue.push(decodeMessage(bytes, CODEC));
      if (error !== null) this.failure = new Error(`receiver sent a bad header: ${error.message}`);
      this.wake?.();
    });
    socket.on('close', () => {
      this.failure ??= new Error('receiver closed the connection');
      this.wake?.();
    });
    socket.on('error', (error) => {
      this.failure ??= error;
      this.wake?.();
    });
  }

  /** The next message of type `type`; throws on NOTIFICATION, close or a bad header. */
  async expect(type: MessageType): Promise<BgpMessage> {
    for (;;) {
      const message = this.queue.shift();
      if (message?.type === MessageType.Notification) {
        throw new Error(`receiver sent NOTIFICATION ${message.code}/${message.subcode} ${message.data.toString('hex')}`);
      }
      if (message?.type === type) return message;
      if (message !== undefined) continue;
      if (this.failure !== null) throw this.failure;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }

  /** Stops keeping messages once the session is up. */
  discardFromNowOn(): void {
    this.keeping = false;
    this.queue.length = 0;
  }
}

export async function feedTable(stream: Buffer, options: FeederOptions): Promise<FeedResult> {
  const holdTime = options.holdTime ?? 90;
  const socket = connect({ host: options.host, port: options.port, localAddress: options.localAddress });
  socket.setNoDelay(true);
  await once(socket, 'connect');
  const reader = new MessageReader(socket);
  socket.write(
    encodeMessage(
      {
        type: MessageType.Open,
        version: 4,
        myAs: options.localAs > 0xffff ? 23456 : options.localAs,
        holdTime,
        bgpId: options.routerId,
        capabilities: [{ kind: 'multiprotocol', ...IPV4_UNICAST }, { kind: 'route-refresh' }, { kind: 'four-octet-as', asn: options.localAs }],
      },
      CODEC,
    ),
  );
  const open = await reader.expect(MessageType.Open);
  if (open.type === MessageType.Open && openAsn(open) !== options.peerAs) {
    socket.destroy();
    throw new Error(`receiver announced AS ${openAsn(open)}, expected ${options.peerAs}`);
  }
  const keepalive = encodeMessage({ type: MessageType.Keepalive }, CODEC);
  socket.write(keepalive);
  await reader.expect(MessageType.Keepalive);
  reader.discardFromNowOn();

  options.onEstablished?.();
  const start = process.hrtime.bigint();
  socket.write(stream);
  await new Promise<void>((resolve, reject) => socket.write(END_OF_RIB, (error) => (error ? reject(error) : resolve())));
  const sendSeconds = Number(process.hrtime.bigint() - start) / 1e9;

  // Keep the session up; the receiver's messages are read and dropped.
  const timer = setInterval(() => socket.write(keepalive), (holdTime * 1000) / 3);
  socket.on('close', () => clearInterval(timer));
  return {
    sendSeconds,
    bytes: stream.length + END_OF_RIB.length,
    send: (messages) => new Promise<void>((resolve, reject) => socket.write(messages, (error) => (error ? reject(error) : resolve()))),
    close: async () => {
      clearInterval(timer);
      if (!socket.destroyed) {
        socket.end(encodeMessage({ type: MessageType.Notification, code: 6, subcode: 2, data: Buffer.alloc(0) }, CODEC));
        await once(socket, 'close');
      }
    },
  };
}

function parseIpv4(text: string): number {
  const octets = text.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) throw new Error(`"${text}" is not an IPv4 address`);
  return ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
}

/**
 * Usage: node dist/bench/bgp/feeder.js HOST PORT LOCAL_AS PEER_AS NEXT_HOP [SECONDS_TO_STAY_UP [first|second]]
 * (the last: which paths of the table, bench/bgp/table.ts `secondPaths`).
 * Prints JSON lines: {"event":"established","at":<epoch ms>} then {"event":"sent",...}.
 */
async function main(): Promise<void> {
  const [host, port, localAs, peerAs, nextHop, stay, paths = 'first'] = process.argv.slice(2);
  if (host === undefined || port === undefined || localAs === undefined || peerAs === undefined || nextHop === undefined || (paths !== 'first' && paths !== 'second')) {
    throw new Error('usage: feeder HOST PORT LOCAL_AS PEER_AS NEXT_HOP [SECONDS_TO_STAY_UP [first|second]]');
  }
  const { stream } = loadTableStream(FULL_TABLE, { localAs: Number(localAs), nextHop: parseIpv4(nextHop) }, { paths });
  const result = await feedTable(stream, {
    host,
    port: Number(port),
    localAddress: nextHop,
    localAs: Number(localAs),
    peerAs: Number(peerAs),
    routerId: parseIpv4(nextHop),
    onEstablished: () => process.stdout.write(`${JSON.stringify({ event: 'established', at: Date.now() })}\n`),
  });
  process.stdout.write(`${JSON.stringify({ event: 'sent', sendSeconds: result.sendSeconds, bytes: result.bytes })}\n`);
  await new Promise((resolve) => setTimeout(resolve, Number(stay ?? 60) * 1000));
  await result.close();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`feeder: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
