import { describe, expect, it } from 'vitest';
import { parseApiConfig } from './config.js';

const FILE = '/var/lib/garagenet/agent-api.json';

describe('parseApiConfig', () => {
  it('takes an IPv4 or bracketed IPv6 ADDRESS:PORT; no "listen" means the unix socket only', () => {
    expect(parseApiConfig('{"listen": "10.64.0.1:7480"}', FILE)).toEqual({ tcp: '10.64.0.1:7480' });
    expect(parseApiConfig('{"listen": "[fd64::1]:7480"}', FILE)).toEqual({ tcp: '[fd64::1]:7480' });
    expect(parseApiConfig('{}', FILE)).toEqual({});
  });

  it('names the file and the field for anything else', () => {
    expect(() => parseApiConfig('{"listen": 7480', FILE)).toThrow(`${FILE} is not JSON`);
    for (const bad of ['"10.64.0.1"', '"10.64.0.300:7480"', '"10.64.0.1:70000"', '"fd64::1:7480"', '"host.example:7480"', '7480']) {
      expect(() => parseApiConfig(`{"listen": ${bad}}`, FILE), bad).toThrow(`${FILE}: "listen" ${bad} is not ADDRESS:PORT`);
    }
  });
});
