// Runs the garagenet CLI from the TypeScript sources (under vite-node), so a test can start it as a process without a build.
import { main } from '../../../node/cli/main.js';

// vite-node's dev server exits on SIGTERM by itself; the daemon under test must get the signal as it would when installed.
process.removeAllListeners('SIGTERM');
await main(['node', 'garagenet', ...process.argv.slice(2)]);
