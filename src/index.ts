/**
 * The `agentos` package's public entry: the client SDK (docs/sdk.md). The daemon and the CLI are run with
 * the `agentos` command, not imported.
 */
export * from './sdk/index.js';
