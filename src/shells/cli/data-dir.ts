/**
 * Where the data directory is: `--data`, else `AGENTOS_DATA`, else `./.agentos`.
 */
import type { Command } from 'commander';

/** The default data directory, relative to the working directory. */
export const DEFAULT_DATA_DIR = '.agentos';

/** Adds the `--data <dir>` option to a command. */
export function dataOption(c: Command): Command {
  return c.option('--data <dir>', `the data directory (default: $AGENTOS_DATA or ./${DEFAULT_DATA_DIR})`);
}

/** The data directory for an invocation. */
export function dataDir(opts: { data?: string }, env: NodeJS.ProcessEnv): string {
  return opts.data ?? (env.AGENTOS_DATA || DEFAULT_DATA_DIR);
}
