import { describe, expect, it } from 'vitest';
import { classify } from './index.js';

const call = (context?: unknown) =>
  classify({
    agent: 'a',
    action: 'mcp.files.write_file',
    args: { path: 'x' },
    ...(context === undefined ? {} : { context: context as Record<string, unknown> }),
  });

describe('mcp classifier', () => {
  it('gives the annotations as facts, with MCP defaults for what the server left out', () => {
    const r = call({ mcp: { server: 'files', tool: 'write_file', annotations: { destructiveHint: false } } });
    expect(r.facts).toEqual({
      'mcp.server': 'files',
      'mcp.tool': 'write_file',
      'mcp.readOnly': false,
      'mcp.destructive': false,
      'mcp.idempotent': false,
      'mcp.openWorld': true,
    });
    expect(r.risk).toBe('medium');
  });

  it('rates read-only tools low, and a tool that says nothing high (destructive by default)', () => {
    expect(call({ mcp: { annotations: { readOnlyHint: true, destructiveHint: true } } }).risk).toBe('low');
    expect(call({ mcp: {} }).risk).toBe('high');
    expect(call().risk).toBe('high');
    expect(call().facts['mcp.destructive']).toBe(true);
  });

  it('ignores annotations that are not booleans and inherited properties', () => {
    const inherited = Object.create({ readOnlyHint: true }) as object;
    expect(call({ mcp: { annotations: inherited } }).facts['mcp.readOnly']).toBe(false);
    expect(call({ mcp: { annotations: { readOnlyHint: 'yes' } } }).facts['mcp.readOnly']).toBe(false);
    expect(call({ mcp: 'nonsense' }).risk).toBe('high');
  });

  it('speaks only about mcp.* actions', () => {
    expect(
      classify({ agent: 'a', action: 'mcpx.tool', context: { mcp: { annotations: { readOnlyHint: true } } } })
        .facts,
    ).toEqual({});
  });
});
