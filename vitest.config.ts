import { defineConfig } from 'vitest/config';

// Three kinds of test, by file name:
//   *.test.ts      unit: pure logic, fast, run in parallel
//   *.int.test.ts  integration: real local servers on loopback (etcd, gRPC, BGP over 127.0.0.1)
//   *.ns.test.ts   system: root, network namespaces, real daemons
// Integration and system files run one at a time, in one process: on a 2-core
// machine, parallel daemons only make timers miss their deadlines.
const slow = ['**/*.int.test.ts', '**/*.ns.test.ts'];
const ignored = ['**/node_modules/**', '**/dist/**', '**/native/build/**'];

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['**/*.test.ts'], exclude: [...ignored, ...slow] } },
      {
        test: {
          name: 'integration',
          include: ['**/*.int.test.ts'],
          exclude: ignored,
          testTimeout: 60_000,
          hookTimeout: 60_000,
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
      {
        test: {
          name: 'system',
          include: ['**/*.ns.test.ts'],
          exclude: ignored,
          testTimeout: 180_000,
          hookTimeout: 180_000,
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
