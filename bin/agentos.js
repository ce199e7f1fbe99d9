#!/usr/bin/env node
// The installed entry point: runs the compiled CLI (npm run build produces dist/).
import { main } from '../dist/shells/cli/main.js';

// A reader that stops early (`agentos audit export | head`) closes the pipe: stop quietly, as other
// command-line tools do, instead of dying on an unhandled EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

process.exitCode = await main(process.argv.slice(2));
