import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { Command } from 'commander';
import { action } from '../common/cli.js';
import { UserError } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import { RegistryClient } from '../registry/client.js';
import { RoutedClient } from '../route-daemon/control/client.js';
import { createLookingGlass } from './server/server.js';
import { buildSampleMesh, MESH_COMMUNITIES, MESH_LARGE_COMMUNITIES } from './sources/in-process/sample-mesh.js';
import { RegistryPublicViewSource } from './sources/registry-adapter.js';
import { readViewerCredential } from './sources/registry-credential.js';
import { AgentApiClient } from '../node/agent/api/client.js';
import { AgentApiSource } from './sources/agent-adapter.js';
import { AGENT_NOT_GIVEN, RouteDaemonControlSource } from './sources/routed-adapter.js';
import type { MeshSource, NodeSource } from './sources/source.js';

interface ServeOptions {
  listen: string;
  registry?: string;
  registryCert?: string;
  registryCredential?: string;
  routed: string[];
  agent: string[];
  sample?: boolean;
  refresh: string;
  trustedProxy: string[];
}

/** `garagenet looking-glass serve`: the public page and JSON API. */
export function lookingGlassCommand(): Command {
  const lg = new Command('looking-glass').alias('lg').description('the public read-only looking glass (web page and JSON API)');
  lg.command('serve')
    .description('serve the page, the JSON API (/api/v1) and metrics (/metrics)')
    .option('--listen <host:port>', 'where to serve', '127.0.0.1:8080')
    .option('--registry <host:port>', 'the registry to read the public view from')
    .option('--registry-cert <file>', "the registry's TLS certificate (PEM)")
    .option('--registry-credential <file>', 'a viewer credential (mode 0600), made by `garagenet registry viewer add NAME --out FILE`')
    .option('--routed <node=address>', 'a node\'s route daemon control address (unix:/path or 127.0.0.1:port); repeat per node', (v: string, all: string[]) => [...all, v], [])
    .option('--agent <node=address>', "a node's agent API address (unix:/path/agent-api.sock or host:port); repeat per node", (v: string, all: string[]) => [...all, v], [])
    .option('--sample', 'serve the built-in sample mesh instead, to try the page')
    .option('--refresh <seconds>', 'how often to poll the registry and the nodes', '5')
    .option('--trusted-proxy <address>', 'a reverse proxy whose X-Forwarded-For is believed for rate limiting; repeat per proxy', (v: string, all: string[]) => [...all, v], [])
    .action(action(async (options: ServeOptions) => {
      const { host, port } = parseListen(options.listen);
      const refreshSeconds = Number(options.refresh);
      if (!(refreshSeconds >= 1 && refreshSeconds <= 300)) throw new UserError(`--refresh "${options.refresh}" is not a number of seconds`, { hint: 'use 1 to 300' });
      for (const proxy of options.trustedProxy) if (isIP(proxy) === 0) throw new UserError(`--trusted-proxy "${proxy}" is not an IP address`);
      const source = options.sample ? buildSampleMesh() : realSource(options);
      const server = createLookingGlass({
        source,
        cache: { refreshIntervalMs: refreshSeconds * 1000, maxStalenessMs: Math.max(60_000, refreshSeconds * 6000) },
        ...(options.sample ? { communities: { communities: MESH_COMMUNITIES, largeCommunities: MESH_LARGE_COMMUNITIES } } : {}),
        trustedProxies: options.trustedProxy,
        log: createLogger('looking-glass'),
      });
      const url = await server.listen({ host, port });
      process.stdout.write(`looking glass on ${url}\n`);
      const stop = (): void => void server.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }));
  return lg;
}

function realSource(options: ServeOptions): MeshSource {
  if (!options.registry || !options.registryCert || !options.registryCredential) {
    throw new UserError('the looking glass needs --registry, --registry-cert and --registry-credential', { hint: 'or try the page with --sample' });
  }
  let certPem: string;
  try {
    certPem = readFileSync(options.registryCert, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read the registry certificate ${options.registryCert}: ${(err as Error).message}`);
  }
  const credential = readViewerCredential(options.registryCredential);
  const registry = new RegistryPublicViewSource(new RegistryClient(options.registry, { certPem, credential, timeoutMs: 5000 }));
  const agents = new Map<string, string>();
  for (const entry of options.agent) {
    const m = /^([a-z0-9][a-z0-9._-]*)=((?:unix:\/.+)|(?:(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]|localhost):\d{1,5}))$/.exec(entry);
    if (!m) throw new UserError(`--agent "${entry}" is not node=address`, { hint: 'write it like garage-a=unix:/var/lib/garagenet/agent-api.sock or garage-a=10.64.0.1:7480' });
    if (agents.has(m[1]!)) throw new UserError(`--agent names node ${m[1]} twice`);
    agents.set(m[1]!, m[2]!);
  }
  const nodes = new Map<string, NodeSource>();
  for (const entry of options.routed) {
    const m = /^([a-z0-9][a-z0-9._-]*)=((?:unix:\/.+)|(?:127\.\d+\.\d+\.\d+|\[::1\]|localhost):\d+)$/.exec(entry);
    if (!m) throw new UserError(`--routed "${entry}" is not node=address`, { hint: 'write it like garage-a=unix:/run/garagenet/routed.sock' });
    const node = m[1]!;
    if (nodes.has(node)) throw new UserError(`--routed names node ${node} twice`);
    const agent = agents.get(node);
    nodes.set(node, {
      routeDaemon: new RouteDaemonControlSource(new RoutedClient({ address: m[2]!, timeoutMs: 3000 }), { node }),
      agent: agent ? new AgentApiSource(new AgentApiClient(agent, { timeoutMs: 3000 })) : AGENT_NOT_GIVEN,
    });
  }
  for (const node of agents.keys()) {
    if (!nodes.has(node)) throw new UserError(`--agent names node ${node}, which has no --routed`, { hint: `give its route daemon too: --routed ${node}=unix:/path/routed.sock` });
  }
  return { registry, node: (name) => nodes.get(name) };
}

function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UserError(`--listen "${text}" is not host:port`, { hint: 'write it like 127.0.0.1:8080' });
  return { host: m[1] ?? m[2]!, port };
}
