import { Command } from 'commander';
import { action } from '../../common/cli.js';
import { UserError } from '../../common/errors.js';
import { runRegistry } from '../serve.js';
import { loadState } from '../state.js';
import { groupOptions } from './context.js';

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the registry (with a managed local etcd unless --etcd is given)')
    .option('--listen <host:port>', 'address to listen on (default: the address given to init)')
    .option('--etcd <urls>', 'etcd cluster endpoints, comma separated (https://a:2379,https://b:2379)')
    .option('--etcd-ca <file>', 'CA certificate of the etcd cluster (https endpoints)')
    .option('--etcd-cert <file>', 'client certificate for the etcd cluster')
    .option('--etcd-key <file>', 'key of that client certificate')
    .option('--metrics <host:port>', 'serve Prometheus metrics on http://host:port/metrics')
    .action(
      action(async (o: { listen?: string; etcd?: string; etcdCa?: string; etcdCert?: string; etcdKey?: string; metrics?: string }, command: Command) => {
        const etcd = o.etcd ? o.etcd.split(',').map((u) => u.trim()).filter(Boolean) : undefined;
        for (const url of etcd ?? []) {
          if (!/^https?:\/\/[^/]+$/.test(url)) throw new UserError(`--etcd endpoint "${url}" is not a URL`, { hint: 'write https://host:2379' });
        }
        if ((o.etcdCert || o.etcdKey) && !(o.etcdCa && o.etcdCert && o.etcdKey)) {
          throw new UserError('--etcd-cert and --etcd-key go together, with --etcd-ca', { hint: 'give all three, or none' });
        }
        const etcdTls = o.etcdCa ? { caFile: o.etcdCa, ...(o.etcdCert ? { certFile: o.etcdCert } : {}), ...(o.etcdKey ? { keyFile: o.etcdKey } : {}) } : undefined;
        const state = loadState(groupOptions(command).state);
        const listen = o.listen ?? state.address;
        const progress = (line: string): void => void process.stderr.write(`${line}\n`);
        const running = await runRegistry(state, {
          listen, onProgress: progress, ...(etcd ? { etcd } : {}), ...(etcdTls ? { etcdTls } : {}),
          ...(o.metrics ? { metricsListen: o.metrics } : {}),
        });
        progress(`registry for mesh ${state.mesh.name} serving on ${listen} (etcd ${running.etcdEndpoints.join(',')})`);
        await new Promise<void>((resolve) => {
          const stop = (): void => void running.close().then(resolve);
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      }),
    );
}
