/**
 * The Agent OS client SDK: talk to a running kernel over its HTTP API. Runs wherever `fetch` does; it
 * imports nothing from Node or from the daemon.
 */
export { AgentOsClient, connect, type ConnectOptions, type ToolOptions, type WaitOptions } from './client.js';
export { ActionDeniedError, AgentOsApiError, ApprovalTimeoutError } from './errors.js';
export { transport, type Call, type FetchLike, type Transport, type TransportOptions } from './http.js';
export type * from './types.js';
