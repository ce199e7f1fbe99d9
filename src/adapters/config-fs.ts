/**
 * The data directory on disk: reads `agentos.yaml` (validated once by the governor's schema) and writes the
 * default one without ever overwriting.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CONFIG_FILE, defaultConfigYaml, parseConfig, type Config } from '../governor/config.js';
import { AgentOsError } from '../kernel/errors.js';

/** Why a file operation failed, in our words (node's messages repeat the path, which must keep its case). */
export function fsReason(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  const known: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EEXIST: 'already exists',
    EISDIR: 'is a directory',
    ENOTDIR: 'a parent is not a directory',
    ENOSPC: 'no space left on device',
    EROFS: 'read-only file system',
  };
  return (
    (typeof code === 'string' && known[code]) || (typeof code === 'string' ? code.toLowerCase() : String(e))
  );
}

/** What one step of creating a data directory found or did. */
export interface InitStep {
  readonly path: string;
  readonly created: boolean;
}

/** The configuration of a data directory; `AOS_IO` when there is none (run `agentos init`). */
export async function readConfig(dataDir: string): Promise<Config> {
  const file = join(dataDir, CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const missing = (e as { code?: unknown }).code === 'ENOENT';
    throw new AgentOsError(
      'AOS_IO',
      missing
        ? `no \`${file}\`: not a data directory (run \`agentos init --data ${dataDir}\`)`
        : `cannot read \`${file}\`: ${fsReason(e)}`,
      { cause: e },
    );
  }
  return parseConfig(text, file, hostname());
}

/** Creates `dir` (and parents) if missing. */
export async function ensureDir(dir: string, mode = 0o755): Promise<InitStep> {
  try {
    const made = await mkdir(dir, { recursive: true, mode });
    return { path: dir, created: made !== undefined };
  } catch (e) {
    throw new AgentOsError('AOS_IO', `cannot create \`${dir}\`: ${fsReason(e)}`, {
      cause: e,
    });
  }
}

/** Writes the default `agentos.yaml` unless one exists (which is kept as it is). */
export async function writeDefaultConfig(dataDir: string): Promise<InitStep> {
  const file = join(dataDir, CONFIG_FILE);
  try {
    await writeFile(file, defaultConfigYaml(hostname()), { flag: 'wx', mode: 0o644 });
    return { path: file, created: true };
  } catch (e) {
    if ((e as { code?: unknown }).code === 'EEXIST') return { path: file, created: false };
    throw new AgentOsError('AOS_IO', `cannot create \`${file}\`: ${fsReason(e)}`, {
      cause: e,
    });
  }
}
