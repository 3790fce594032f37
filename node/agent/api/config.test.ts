import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apiListen } from './config.js';

describe('apiListen (agent-api.json)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gn-api-config-'));
  const file = join(dir, 'agent-api.json');
  const socket = join(dir, 'agent-api.sock');
  const listenIn = (text: string): ReturnType<typeof apiListen> => {
    writeFileSync(file, text);
    return apiListen(dir);
  };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes an IPv4 or bracketed IPv6 ADDRESS:PORT; no file or no "listen" means the unix socket only', () => {
    rmSync(file, { force: true });
    expect(apiListen(dir)).toEqual({ socket });
    expect(listenIn('{"listen": "10.64.0.1:7480"}')).toEqual({ socket, tcp: '10.64.0.1:7480' });
    expect(listenIn('{"listen": "[fd64::1]:7480"}')).toEqual({ socket, tcp: '[fd64::1]:7480' });
    expect(listenIn('{}')).toEqual({ socket });
  });

  it('names the file and the field for anything else, with the fix', () => {
    expect(() => listenIn('{"listen": 7480')).toThrow(`${file}: is not valid JSON`);
    for (const bad of ['"10.64.0.1"', '"10.64.0.300:7480"', '"10.64.0.1:70000"', '"fd64::1:7480"', '"host.example:7480"']) {
      expect(() => listenIn(`{"listen": ${bad}}`), bad).toThrow(`${file}: listen: not ADDRESS:PORT`);
    }
    expect(() => listenIn('{"listen": 7480}')).toThrow(`${file}: listen: expected a non-empty string`);
    expect(() => listenIn('["10.64.0.1:7480"]')).toThrow(`${file}: document: expected an object`);
    const refusal = ((): unknown => {
      try {
        return listenIn('{"listen": "10.64.0.1"}');
      } catch (err) {
        return err;
      }
    })();
    expect(refusal).toMatchObject({ hint: expect.stringMatching(/^write it like/) });
  });
});
