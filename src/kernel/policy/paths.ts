/**
 * The paths a `when` clause may read, and how each is looked up in an evaluation context.
 *
 * - `args.<a>.<b>…`: a value inside the request's arguments (array indices as numbers: `args.items.0`)
 * - `context.<a>…`: a value inside the request's context
 * - `agent.id|department|role|autonomy|owner|riskCeiling`
 * - `action`, `resource` (the normalised resource), `risk` (the classified, raised risk level)
 * - classifier facts by name: `sql.statements`, `shell.commands`, `path`, `url.host`, … (see docs/policy.md)
 */
import type { Agent } from '../org/model.js';
import type { Facts, RiskLevel } from '../types.js';

/** Everything a rule can see about one request. */
export interface EvalContext {
  readonly action: string;
  readonly resource: string;
  /** False when a classifier could not establish the resource (`resource` is then `''`). */
  readonly resourceKnown: boolean;
  readonly args: Readonly<Record<string, unknown>>;
  readonly context: Readonly<Record<string, unknown>>;
  readonly agent: Agent;
  readonly facts: Facts;
  risk: RiskLevel;
}

/** Namespaces of classifier facts a `when` clause may name. */
export const FACT_NAMESPACES = ['sql', 'shell', 'path', 'url', 'mcp', 'llm', 'http', 'file'] as const;

const AGENT_FIELDS = ['id', 'department', 'role', 'autonomy', 'owner', 'riskCeiling'] as const;

/** A compiled path: reads its value from a context (undefined when absent). */
export type PathReader = (ctx: EvalContext) => unknown;

/** Compiles a path, or returns a message saying why it is not one. */
export function compilePath(path: string): PathReader | string {
  const segments = path.split('.');
  const root = segments[0] ?? '';
  if (segments.some((s) => s === '')) return `path \`${path}\` has an empty segment`;
  switch (root) {
    case 'args':
    case 'context': {
      const rest = segments.slice(1);
      if (rest.length === 0) return `path \`${path}\` must name a field, e.g. \`${root}.amount\``;
      const pick = root === 'args' ? (c: EvalContext) => c.args : (c: EvalContext) => c.context;
      return (ctx) => dig(pick(ctx), rest);
    }
    case 'agent': {
      const field = segments[1];
      if (segments.length !== 2 || !(AGENT_FIELDS as readonly string[]).includes(field ?? '')) {
        return `path \`${path}\` is not one of ${AGENT_FIELDS.map((f) => '`agent.' + f + '`').join(', ')}`;
      }
      return (ctx) => ctx.agent[field as (typeof AGENT_FIELDS)[number]];
    }
    case 'action':
      return segments.length === 1 ? (ctx) => ctx.action : `path \`${path}\` is not known`;
    case 'resource':
      return segments.length === 1 ? (ctx) => ctx.resource : `path \`${path}\` is not known`;
    case 'risk':
      return segments.length === 1 ? (ctx) => ctx.risk : `path \`${path}\` is not known`;
    default:
      if ((FACT_NAMESPACES as readonly string[]).includes(root)) return (ctx) => ctx.facts[path];
      return `unknown path \`${path}\`: use \`args.*\`, \`context.*\`, \`agent.*\`, \`action\`, \`resource\`, \`risk\` or a classifier fact (${FACT_NAMESPACES.map((n) => n + '.*').join(', ')})`;
  }
}

function dig(value: unknown, segments: readonly string[]): unknown {
  let cur = value;
  for (const seg of segments) {
    if (cur === null || typeof cur !== 'object') return undefined;
    // INVARIANT: only own properties: `args.constructor` must not reach Object.prototype
    if (!Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}
