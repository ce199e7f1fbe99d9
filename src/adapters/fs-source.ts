/**
 * SourceReader over the local filesystem.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { AgentOsError } from '../kernel/errors.js';
import type { SourceReader } from '../governor/ports.js';

const YAML = new Set(['.yaml', '.yml']);
const isTest = (f: string): boolean => /\.test\.ya?ml$/.test(f);

/** Reads sources from disk. */
export class FsSourceReader implements SourceReader {
  async read(file: string): Promise<string> {
    try {
      return await readFile(file, 'utf8');
    } catch (e) {
      throw ioError(file, e);
    }
  }

  async listYaml(path: string, options: { tests: boolean }): Promise<string[]> {
    let info;
    try {
      info = await stat(path);
    } catch (e) {
      throw ioError(path, e);
    }
    if (info.isFile()) return [path];
    const out: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true });
      for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) {
          if (!entry.name.startsWith('.') && entry.name !== 'node_modules') await walk(full);
        } else if (YAML.has(extname(entry.name)) && isTest(entry.name) === options.tests) out.push(full);
      }
    };
    try {
      await walk(path);
    } catch (e) {
      throw ioError(path, e);
    }
    return out;
  }

  resolveFrom(file: string, relative: string): string {
    return resolve(dirname(file), relative);
  }
}

function ioError(path: string, e: unknown): AgentOsError {
  const code = (e as NodeJS.ErrnoException).code;
  const what =
    code === 'ENOENT'
      ? 'does not exist'
      : code === 'EACCES'
        ? 'is not readable'
        : code === 'EISDIR'
          ? 'is a directory'
          : 'cannot be read';
  return new AgentOsError(
    'AOS_IO',
    `\`${path}\` ${what}${code && !['ENOENT', 'EACCES', 'EISDIR'].includes(code) ? ` (${code})` : ''}`,
    { cause: e },
  );
}
