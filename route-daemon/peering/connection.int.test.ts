import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../common/log.js';
import { eventually } from '../../common/test-support/eventually.js';
import { Connection, type ConnectionOwner } from './connection.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** An UPDATE withdrawing 10.x.y.0/24 for `k` = x * 256 + y: small, and each one different. */
function numberedUpdate(k: number): Buffer {
  const message = Buffer.alloc(27, 0);
  message.fill(0xff, 0, 16);
  message.writeUInt16BE(27, 16);
  message[18] = 2; // UPDATE
  message.writeUInt16BE(4, 19); // withdrawn routes length
  message.set([24, 10, k >> 8, k & 0xff], 21);
  return message;
}

async function socketPair(): Promise<{ ours: Socket; theirs: Socket }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  const theirs = connect((server.address() as AddressInfo).port, '127.0.0.1');
  const [ours] = (await accepted) as [Socket];
  cleanups.push(() => {
    theirs.destroy();
    ours.destroy();
    server.close();
  });
  return { ours, theirs };
}

describe('connection: reading', () => {
  it('stops reading a busy socket when its turn is over, and takes every message in order', async () => {
    const { ours, theirs } = await socketPair();
    const received: number[] = [];
    const owner: ConnectionOwner = {
      encode: () => Buffer.alloc(0),
      onMessage: (_connection, message) => received.push(message.readUInt16BE(23)),
      onSessionAction: () => undefined,
      onIdle: () => undefined,
    };
    const connection = new Connection(owner, {
      config: { passive: true, connectRetrySeconds: 1, holdTimeSeconds: 0 },
      log: createLogger('test'),
      direction: 'inbound',
      readTurnMs: 0,
    });
    let pauses = 0;
    const pause = ours.pause.bind(ours);
    ours.pause = () => {
      pauses++;
      return pause();
    };
    connection.adopt(ours);
    const count = 20_000; // 540 kB: several reads of 64 kB, which libuv would hand over in one turn
    theirs.write(Buffer.concat(Array.from({ length: count }, (_, k) => numberedUpdate(k))));
    await eventually(() => received.length === count, 10_000, { intervalMs: 20 });
    expect(received).toEqual(Array.from({ length: count }, (_, k) => k));
    expect(pauses).toBeGreaterThan(0);
  });
});
