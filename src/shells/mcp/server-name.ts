/**
 * The name the stdio wrapper gives the server it wraps when `--name` is not given: derived from the
 * command (`npx -y @modelcontextprotocol/server-filesystem /srv` → `filesystem`), so that its actions read
 * `mcp.filesystem.read_file`.
 */

/** Programs that start the real server rather than being it. */
const LAUNCHERS = new Set([
  'node',
  'nodejs',
  'npx',
  'bunx',
  'bun',
  'deno',
  'uvx',
  'uv',
  'pipx',
  'python',
  'python3',
  'pnpm',
  'yarn',
  'dlx',
  'exec',
  'run',
  'tool',
  'docker',
  'podman',
  'env',
]);
/** File names that say nothing about the server: its directory does. */
const GENERIC = new Set(['index', 'main', 'cli', 'server', '__main__', 'bin']);
const BUILD_DIRS = new Set(['dist', 'build', 'lib', 'src', 'out', 'bin']);

/** A server name (`[A-Za-z0-9][A-Za-z0-9_-]*`, at most 64 characters) for a command; `server` when none fits. */
export function serverNameFor(command: readonly string[]): string {
  const word = command.find((arg, i) => {
    if (arg.startsWith('-') || arg.includes('=')) return false;
    const base = (arg.split(/[\\/]/).pop() ?? '').replace(/\.(exe|cmd)$/i, '');
    return !(i === 0 || LAUNCHERS.has(command[i - 1] ?? '') ? LAUNCHERS.has(base) : false);
  });
  if (word === undefined) return 'server';
  const parts = word
    .replace(/@[^/@]*$/, '')
    .split(/[\\/]/)
    .filter(Boolean);
  let name = parts.pop() ?? '';
  name = name.replace(/\.(m?[jt]s|cjs|py|exe)$/i, '');
  while (GENERIC.has(name) || BUILD_DIRS.has(name)) {
    const up = parts.pop();
    if (up === undefined) break;
    name = up;
  }
  const cleaned = name
    .replace(/^@/, '')
    .replace(/^(mcp[-_]server[-_]|server[-_]|mcp[-_])/i, '')
    .replace(/([-_]mcp[-_]server|[-_]mcp|[-_]server)$/i, '')
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  return cleaned === '' ? 'server' : cleaned;
}
