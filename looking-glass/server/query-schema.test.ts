import { describe, expect, it } from 'vitest';
import { HttpError } from './http-error.js';
import { validateQuery, type QuerySchema } from './query-schema.js';

const schema: QuerySchema = {
  plane: { kind: 'plane', required: true },
  target: { kind: 'target' },
  asn: { kind: 'asn' },
  community: { kind: 'community' },
  large: { kind: 'large-community' },
  limit: { kind: 'limit' },
  node: { kind: 'node-name' },
};

function refusal(query: string): HttpError {
  try {
    validateQuery(schema, new URLSearchParams(query));
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
  throw new Error(`"${query}" was accepted`);
}

describe('validateQuery', () => {
  it('parses every kind into its value', () => {
    const q = validateQuery(schema, new URLSearchParams('plane=experimental&target=fd00::/16&asn=AS4200000101&community=064512:0100&large=1:2:3&limit=7&node=aalto-garage'));
    expect(q).toEqual({
      plane: 'experimental', target: { family: 6, value: 0xfd00n << 112n, length: 16 }, asn: 4200000101,
      community: '64512:100', large: '1:2:3', limit: 7, node: 'aalto-garage',
    });
    expect(validateQuery(schema, new URLSearchParams('plane=production&target=10.0.0.1')).target).toEqual({ family: 4, value: 0x0a000001n });
  });

  it.each([
    ['', 'plane', /required/],
    ['plane=both', 'plane', /not a plane/],
    ['plane=production&asn=0', 'asn', /not an AS number/],
    ['plane=production&asn=4294967296', 'asn', /not an AS number/],
    ['plane=production&asn=12a', 'asn', /not an AS number/],
    ['plane=production&community=1:2:3', 'community', /not a community/],
    ['plane=production&large=1:2:4294967296', 'large', /not a large community/],
    ['plane=production&limit=1001', 'limit', /not a limit/],
    ['plane=production&limit=-1', 'limit', /not a limit/],
    ['plane=production&node=UPPER', 'node', /not a valid name/],
    ['plane=production&target=10.0.0.1%25eth0', 'target', /not an IPv4 or IPv6 address/],
    ['plane=production&target=' + 'a'.repeat(200), 'target', /longer than 128/],
    ['plane=production&other=1', 'other', /unknown query parameter/],
    ['plane=production&plane=production', 'plane', /more than once/],
  ])('refuses "%s" naming %s', (query, field, message) => {
    const err = refusal(query);
    expect(err.status).toBe(400);
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
    expect(err.hint).toBeTruthy();
  });

  it('echoes only a short printable form of what it refuses', () => {
    const err = refusal(`plane=${encodeURIComponent('<script>\u0000' + 'x'.repeat(60))}`);
    expect(err.message).not.toContain('\u0000');
    expect(err.message.length).toBeLessThan(120);
  });

  it('refuses control characters before any parser sees them', () => {
    const err = refusal(`plane=production&target=${encodeURIComponent('10.0.0.1\n<script>')}`);
    expect(err.message).toBe('"target": "10.0.0.1?<script>" has characters that cannot appear in it');
  });
});
