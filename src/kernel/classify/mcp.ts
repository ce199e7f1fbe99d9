/**
 * The MCP classifier (issue 5 §3): for `mcp.<server>.<tool>` actions, the tool's annotations as facts and
 * a default risk. The gateway that turns a `tools/call` into the action puts what the server said about the
 * tool in `context.mcp` (`{ server, tool, annotations }`); MCP's defaults apply to what it leaves out, so a
 * tool that says nothing is treated as the specification does: not read-only, destructive, open-world.
 * Annotations are the server's hints, as trustworthy as the server (docs/classifiers.md#mcp).
 */
import type { Classification, RiskLevel } from '../types.js';
import { ownField } from './result.js';

/** MCP's tool annotations (2025-03-26 and later), with the specification's defaults. */
const HINTS = [
  ['readOnlyHint', 'mcp.readOnly', false],
  ['destructiveHint', 'mcp.destructive', true],
  ['idempotentHint', 'mcp.idempotent', false],
  ['openWorldHint', 'mcp.openWorld', true],
] as const;

/** Classifies an `mcp.*` action from the `context.mcp` its gateway wrote. */
export function classifyMcp(context: unknown): Classification {
  const mcp = ownField(context, 'mcp');
  const annotations = ownField(mcp, 'annotations');
  const facts: Record<string, string | boolean> = {};
  const server = ownField(mcp, 'server');
  const tool = ownField(mcp, 'tool');
  if (typeof server === 'string') facts['mcp.server'] = server;
  if (typeof tool === 'string') facts['mcp.tool'] = tool;
  for (const [hint, fact, byDefault] of HINTS) {
    const stated = ownField(annotations, hint);
    facts[fact] = typeof stated === 'boolean' ? stated : byDefault;
  }
  // destructiveHint only means something for a tool that is not read-only (MCP's own rule)
  const risk: RiskLevel = facts['mcp.readOnly'] ? 'low' : facts['mcp.destructive'] ? 'high' : 'medium';
  return { facts, risk };
}
