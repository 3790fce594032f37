#!/usr/bin/env node
// The installed entry point: runs the compiled CLI (build with `npm run build`).
import('../dist/node/cli/main.js')
  .then((cli) => cli.main(process.argv))
  .catch((err) => {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/node/cli/main.js')) {
      process.stderr.write('garagenet: not built yet; run `npm run build` in the garagenet folder\n');
    } else {
      process.stderr.write(`garagenet: ${err && err.message ? err.message : err}\n`);
    }
    process.exit(1);
  });
