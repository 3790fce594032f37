import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MessageFramer } from './framer.js';
import { IPV4_UNICAST, IPV6_UNICAST } from './types.js';
import { checkMessage } from './validate.js';
import type { CheckedMessage, CheckOptions } from './validate.js';

/** Replays testdata/malformed.txt: hand-made messages and the outcome each must reach. */

interface CorpusCase {
  readonly name: string;
  readonly why: string;
  readonly context: string;
  readonly hex: string;
  readonly expect: string;
}

function loadCorpus(): CorpusCase[] {
  const text = readFileSync(new URL('./testdata/malformed.txt', import.meta.url), 'utf8');
  return text
    .split(/\n\s*\n/)
    .map((block) => block.split('\n').filter((line) => line !== '' && !line.startsWith('#')))
    .filter((lines) => lines.length > 0)
    .map((lines) => {
      const field = (key: string): string => lines.find((l) => l.startsWith(`${key}: `))?.slice(key.length + 2) ?? '';
      return { name: field('name'), why: field('why'), context: field('context'), hex: field('hex'), expect: field('expect') };
    });
}

function optionsFor(context: string): CheckOptions {
  const openPeerAs = /open-peer-as (\d+)/.exec(context);
  return {
    codec: { fourOctetAs: !context.includes('two-octet'), families: [IPV4_UNICAST, IPV6_UNICAST] },
    update: context.includes('internal') ? { external: false } : { external: true, peerAs: 65001 },
    open: { peerAs: openPeerAs ? Number(openPeerAs[1]) : 65001, localAs: 65000, localBgpId: 0x0a000001 },
  };
}

function reset(fields: { code: number; subcode: number; data: Buffer }): string {
  return `reset ${fields.code}/${fields.subcode}${fields.data.length > 0 ? ` data ${fields.data.toString('hex')}` : ''}`;
}

/** The outcome in the corpus's notation. */
function describeOutcome(checked: CheckedMessage): string {
  switch (checked.kind) {
    case 'malformed':
      return reset(checked.notification);
    case 'open':
      return checked.verdict.action === 'accept' ? 'open-accept' : reset(checked.verdict.notification);
    case 'message':
      return 'message';
    case 'update': {
      const v = checked.verdict;
      if (v.action === 'session-reset') return reset(v.notification);
      if (v.action === 'treat-as-withdraw') return 'withdraw';
      return v.discarded.length > 0 ? `accept discard ${v.discarded.map((p) => p.typeCode).join(' ')}` : 'accept';
    }
  }
}

const corpus = loadCorpus();

describe('malformed message corpus', () => {
  it('has the hand-made cases', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(100);
    expect(new Set(corpus.map((c) => c.name)).size).toBe(corpus.length);
  });

  it.each(corpus.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const outcome = describeOutcome(checkMessage(Buffer.from(c.hex, 'hex'), optionsFor(c.context)));
    expect(outcome, c.why).toBe(c.expect);
  });

  it('the framer reports exactly the header errors of the corpus', () => {
    for (const c of corpus) {
      const bytes = Buffer.from(c.hex, 'hex');
      const { messages, error } = new MessageFramer().push(bytes);
      if (error !== null) {
        expect(c.expect, c.name).toBe(reset(error.notification));
        expect(messages).toEqual([]);
      } else {
        // A consistent header frames one message, or waits for more octets if the length says so.
        expect(messages.length === 1 ? messages[0] : null, c.name).toEqual(bytes.readUInt16BE(16) === bytes.length ? bytes : null);
      }
    }
  });
});
