#!/usr/bin/env node
// The installed entry point: runs the compiled CLI (npm run build produces dist/).
import { main } from '../dist/shells/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
