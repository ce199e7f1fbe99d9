/**
 * The policy use cases, loaded on first use: they bring in the SQL and shell parsers (about 300 ms of
 * start-up), which `--help`, `--version` and the ledger commands do not need.
 */
import type * as PolicyWorkspace from '../../governor/policy-workspace.js';

/** Loads the policy use cases (once; later calls reuse the module). */
export const workspace = (): Promise<typeof PolicyWorkspace> => import('../../governor/policy-workspace.js');
