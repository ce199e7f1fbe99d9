/** The `mcp:` section's schema: defaults, and what it refuses. */
import { describe, expect, it } from 'vitest';
import { mcpConfigSchema } from './mcp-config.js';

const files = { name: 'files', command: ['npx', 'mcp-server-filesystem', '/srv'] };

describe('mcp config', () => {
  it('defaults to no servers and a 30 s approval wait', () => {
    expect(mcpConfigSchema.parse({})).toEqual({ servers: [], approvalWait: '30s' });
  });

  it('keeps a server as written, with its environment', () => {
    const withEnv = { ...files, env: { TOKEN: '${env:FILES_TOKEN}' } };
    expect(mcpConfigSchema.parse({ servers: [withEnv] }).servers).toEqual([withEnv]);
  });

  it('refuses a server defined twice, a dotted name, an empty command and unknown keys', () => {
    const twice = mcpConfigSchema.safeParse({ servers: [files, files] });
    expect(twice.error?.issues.map((i) => i.message)).toEqual(['mcp server `files` is defined twice']);
    expect(mcpConfigSchema.safeParse({ servers: [{ ...files, name: 'a.b' }] }).success).toBe(false);
    expect(mcpConfigSchema.safeParse({ servers: [{ ...files, command: [] }] }).success).toBe(false);
    expect(mcpConfigSchema.safeParse({ servers: [{ ...files, env: { 'A-B': 'x' } }] }).success).toBe(false);
    expect(mcpConfigSchema.safeParse({ servers: [{ ...files, cwd: '/' }] }).success).toBe(false);
    expect(mcpConfigSchema.safeParse({ approvalWait: 'soon' }).success).toBe(false);
    expect(mcpConfigSchema.safeParse({ extra: 1 }).success).toBe(false);
  });
});
