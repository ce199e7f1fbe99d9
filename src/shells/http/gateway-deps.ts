/**
 * What every gateway the daemon serves on its API (LLM, MCP) needs: the action service it mediates
 * through, the governance in force, who is calling, and where `${env:NAME}` references are read.
 */
import type { FastifyRequest } from 'fastify';
import type { ActionService } from '../../governor/action-service.js';
import type { Principal } from '../../governor/auth.js';
import type { Governance } from '../../governor/governance.js';

/** The shared part of a gateway's dependencies. */
export interface GatewayDeps {
  readonly service: ActionService;
  readonly governance: () => Governance;
  /** Authenticates a request (the API's bearer credentials, or a sandbox's socket). */
  readonly who: (req: FastifyRequest) => Promise<Principal>;
  /** Where `${env:NAME}` references come from (default: the process's environment). */
  readonly env?: NodeJS.ProcessEnv;
}
