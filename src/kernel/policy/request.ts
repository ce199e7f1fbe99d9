/**
 * Validation of ActionRequests (DESIGN §3) arriving from outside: files, stdin, the API.
 */
import { AgentOsError } from '../errors.js';
import type { ActionRequest } from '../types.js';

const FIELDS = new Set(['agent', 'action', 'resource', 'args', 'episode', 'context']);
// Dotted names; `/` is excluded because action globs read dots as path separators.
const ACTION = /^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*$/;
const MAX_NAME = 256;

/** Why a value is not a valid ActionRequest, or undefined when it is one. Cheap; never throws. */
export function requestProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return 'a request must be a JSON object';
  const r = value as Record<string, unknown>;
  for (const k in r)
    if (!FIELDS.has(k)) return `unknown field \`${k}\` in request (fields: ${[...FIELDS].join(', ')})`;
  if (typeof r.agent !== 'string' || r.agent === '' || r.agent.length > MAX_NAME)
    return 'request needs `agent`, the acting agent id';
  if (typeof r.action !== 'string' || r.action.length > MAX_NAME || !ACTION.test(r.action)) {
    return (
      'request needs `action`, a dotted name such as `file.read`' +
      (typeof r.action === 'string' ? `, got \`${r.action.slice(0, 60)}\`` : '')
    );
  }
  if (r.resource !== undefined && typeof r.resource !== 'string') return '`resource` must be a string';
  if (r.episode !== undefined && typeof r.episode !== 'string') return '`episode` must be a string';
  if (r.args !== undefined && !isPlainObject(r.args)) return '`args` must be an object';
  if (r.context !== undefined && !isPlainObject(r.context)) return '`context` must be an object';
  return undefined;
}

/** Checks a parsed value is an ActionRequest; throws `AOS_REQUEST_INVALID` naming the first problem and where. */
export function parseActionRequest(value: unknown, where?: string): ActionRequest {
  const problem = requestProblem(value);
  if (problem !== undefined) {
    throw new AgentOsError('AOS_REQUEST_INVALID', where ? `${where}: ${problem}` : problem);
  }
  return value as ActionRequest;
}

function isPlainObject(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
