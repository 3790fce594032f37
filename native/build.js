#!/usr/bin/env node
// Builds the rtnetlink addon with node-gyp against the Node.js headers that are
// already installed, so that the build never downloads anything. Exits with one
// clear line when the headers or the compiler are missing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);

function fail(message) {
  process.stderr.write(`build:native: ${message}\n`);
  process.exit(1);
}

// node-gyp's --nodedir wants the prefix that holds include/node/node_api.h.
const candidates = [
  ...new Set([process.env.npm_config_nodedir, dirname(dirname(process.execPath)), '/usr', '/usr/local'].filter(Boolean)),
];
const nodedir = candidates.find((dir) => existsSync(join(dir, 'include', 'node', 'node_api.h')));
if (!nodedir) {
  fail(
    `no Node.js headers found (looked for include/node/node_api.h under ${candidates.join(', ')}); ` +
      'use a Node.js build that ships them in include/node beside bin/ (official, NodeSource and npm "node" builds do) or set npm_config_nodedir',
  );
}
const gyp = join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
if (!existsSync(gyp)) fail('node-gyp is not installed; run npm ci first');
const compiler = spawnSync('c++', ['--version'], { stdio: 'ignore' });
if (compiler.error || compiler.status !== 0) fail('no C++ compiler (c++) found; install build-essential');

const result = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--directory', here], {
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, npm_config_nodedir: nodedir },
});
if (result.status !== 0) fail(`node-gyp failed (exit ${result.status ?? result.signal}); see the compiler output above`);
