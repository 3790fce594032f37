import { createServer } from 'node:net';
import { pathToFileURL } from 'node:url';
import { decodeMessage, encodeMessage } from '../../route-daemon/packet/codec.js';
import { MessageFramer } from '../../route-daemon/packet/framer.js';
import { IPV4_UNICAST, MessageType } from '../../route-daemon/packet/types.js';

/**
 * A receiver that does nothing: it brings the session up, then only counts octets
 * until End-of-RIB. Feeding it shows the feeder's own send time (ANCHORS.md: the
 * feeder must outrun every receiver). Run it in its own process.
 * Usage: node dist/bench/bgp/sink.js PORT LOCAL_AS  (listens on 127.0.0.1, prints one JSON line)
 */

const CODEC = { fourOctetAs: true, families: [IPV4_UNICAST] };
/** Header (length 23, type UPDATE), no withdrawn routes, no attributes. */
const END_OF_RIB = Buffer.from(`${'ff'.repeat(16)}001702` + '0000' + '0000', 'hex');

function main(): void {
  const [port, localAs] = process.argv.slice(2).map(Number);
  if (port === undefined || localAs === undefined) throw new Error('usage: sink PORT LOCAL_AS');
  const server = createServer((socket) => {
    const framer = new MessageFramer();
    let established = false;
    let start = 0n;
    let bytes = 0;
    let tail: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      if (established) {
        bytes += chunk.length;
        tail = chunk.length >= END_OF_RIB.length ? chunk.subarray(-END_OF_RIB.length) : Buffer.concat([tail, chunk]).subarray(-END_OF_RIB.length);
        if (tail.equals(END_OF_RIB)) {
          const seconds = Number(process.hrtime.bigint() - start) / 1e9;
          process.stdout.write(`${JSON.stringify({ receiveSeconds: seconds, bytes })}\n`);
          socket.destroy();
          server.close();
        }
        return;
      }
      for (const message of framer.push(chunk).messages) {
        const decoded = decodeMessage(message, CODEC);
        if (decoded.type === MessageType.Open) {
          socket.write(encodeMessage({ type: MessageType.Open, version: 4, myAs: localAs, holdTime: 90, bgpId: 0x7f000001, capabilities: [{ kind: 'multiprotocol', ...IPV4_UNICAST }, { kind: 'four-octet-as', asn: localAs }] }, CODEC));
          socket.write(encodeMessage({ type: MessageType.Keepalive }, CODEC));
        } else if (decoded.type === MessageType.Keepalive) {
          established = true;
          start = process.hrtime.bigint();
        }
      }
    });
  });
  server.listen(port, '127.0.0.1', () => process.stderr.write(`sink listening on 127.0.0.1:${port}\n`));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
