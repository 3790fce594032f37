import { describe, expect, it } from 'vitest';
import { parseHop, parsePing } from './ping-output.js';

// Output of iputils-ping 20221126 (Debian 12), as the agent runs it.
const THREE_OF_THREE = `PING 10.64.0.2 (10.64.0.2) from 10.64.0.1 : 56(84) bytes of data.
64 bytes from 10.64.0.2: icmp_seq=1 ttl=64 time=0.532 ms
64 bytes from 10.64.0.2: icmp_seq=2 ttl=64 time=0.41 ms
64 bytes from 10.64.0.2: icmp_seq=3 ttl=64 time=1.02 ms

--- 10.64.0.2 ping statistics ---
3 packets transmitted, 3 received, 0% packet loss, time 402ms
rtt min/avg/max/mdev = 0.410/0.654/1.020/0.263 ms
`;

describe('parsePing', () => {
  it('reads every reply time and the summary', () => {
    expect(parsePing(THREE_OF_THREE)).toEqual({ sent: 3, received: 3, rttMs: [0.532, 0.41, 1.02] });
  });

  it('reads IPv6 replies and a lossy run', () => {
    const out = `PING fd64::2(fd64::2) from fd64::1 : 56 data bytes
64 bytes from fd64::2: icmp_seq=2 ttl=64 time=0.270 ms

--- fd64::2 ping statistics ---
3 packets transmitted, 1 received, 66.6667% packet loss, time 404ms
`;
    expect(parsePing(out)).toEqual({ sent: 3, received: 1, rttMs: [0.27] });
  });

  it('nothing answered: zero received, no times', () => {
    expect(parsePing('PING 10.64.0.9 (10.64.0.9) 56(84) bytes of data.\n\n--- 10.64.0.9 ping statistics ---\n2 packets transmitted, 0 received, 100% packet loss, time 1001ms\n'))
      .toEqual({ sent: 2, received: 0, rttMs: [] });
  });
});

describe('parseHop', () => {
  it('a router on the way: its address, not reached', () => {
    expect(parseHop('PING 10.64.0.3 (10.64.0.3) 56(84) bytes of data.\nFrom 10.64.0.2 icmp_seq=1 Time to live exceeded\n'))
      .toEqual({ address: '10.64.0.2', reached: false, unreachable: false });
    expect(parseHop('PING fd64::3(fd64::3) 56 data bytes\nFrom fd64::2 icmp_seq=1 Time exceeded: Hop limit\n'))
      .toEqual({ address: 'fd64::2', reached: false, unreachable: false });
  });

  it('the target: reached, with its round trip', () => {
    expect(parseHop('64 bytes from 10.64.0.3: icmp_seq=1 ttl=63 time=1.5 ms\n')).toEqual({ address: '10.64.0.3', reached: true, unreachable: false, rttMs: 1.5 });
  });

  it('unreachable ends the trace; silence is an empty hop', () => {
    expect(parseHop('From 10.64.0.2 icmp_seq=1 Destination Host Unreachable\n')).toEqual({ address: '10.64.0.2', reached: false, unreachable: true });
    expect(parseHop('PING 10.64.0.3 (10.64.0.3) 56(84) bytes of data.\n\n--- 10.64.0.3 ping statistics ---\n1 packets transmitted, 0 received\n'))
      .toEqual({ reached: false, unreachable: false });
  });
});
