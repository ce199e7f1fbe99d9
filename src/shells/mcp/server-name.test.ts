/** Deriving the wrapped server's name from its command. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serverNameFor } from './server-name.js';

describe('serverNameFor', () => {
  it('names common launch commands after the server', () => {
    expect(serverNameFor(['npx', '-y', '@modelcontextprotocol/server-filesystem', '/srv'])).toBe(
      'filesystem',
    );
    expect(
      serverNameFor(['node', 'node_modules/@modelcontextprotocol/server-everything/dist/index.js']),
    ).toBe('everything');
    expect(serverNameFor(['uvx', 'mcp-server-git', '--repository', '.'])).toBe('git');
    expect(serverNameFor(['/usr/local/bin/github-mcp-server', 'stdio'])).toBe('github');
    expect(serverNameFor(['npx', 'some-package@1.2.3'])).toBe('some-package');
    expect(serverNameFor(['python3', '-m', 'weather'])).toBe('weather');
  });

  it('always gives a valid server name', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 5 }), (command) => {
        expect(serverNameFor(command)).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/);
      }),
    );
  });
});
