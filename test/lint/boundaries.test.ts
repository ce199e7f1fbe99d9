/**
 * The layering of DESIGN §11 is enforced by lint; these tests attack the rule with code that breaks it.
 */
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cwd = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd });

async function ruleIds(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

describe('layer boundaries', () => {
  it.each([
    ['node:fs', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n"],
    ['bare built-in', "import { join } from 'path';\nexport const x = join;\n"],
    [
      'an adapter',
      "import { FsSourceReader } from '../../adapters/fs-source.js';\nexport const x = FsSourceReader;\n",
    ],
    ['a shell', "import { main } from '../../shells/cli/main.js';\nexport const x = main;\n"],
    [
      'the governor',
      "import { loadOrg } from '../../governor/policy-workspace.js';\nexport const x = loadOrg;\n",
    ],
    ['process', 'export const x = process.env.HOME;\n'],
    ['timers', 'export const x = setTimeout;\n'],
  ])('refuses a kernel file that reaches for %s', async (_what, code) => {
    const ids = await ruleIds(code, 'src/kernel/policy/evil.ts');
    expect(ids.some((id) => id === 'no-restricted-imports' || id === 'no-restricted-globals')).toBe(true);
  });

  it('lets kernel tests use Node', async () => {
    const ids = await ruleIds(
      "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n",
      'src/kernel/policy/evil.test.ts',
    );
    expect(ids).toEqual([]);
  });

  it('refuses a governor file that imports an adapter', async () => {
    const ids = await ruleIds(
      "import { UlidSource } from '../adapters/ids.js';\nexport const x = UlidSource;\n",
      'src/governor/evil.ts',
    );
    expect(ids).toContain('no-restricted-imports');
  });

  it('accepts pure kernel code', async () => {
    const ids = await ruleIds(
      "import type { Org } from '../org/model.js';\nexport type X = Org;\n",
      'src/kernel/policy/fine.ts',
    );
    expect(ids).toEqual([]);
  });
});
