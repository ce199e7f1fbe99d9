import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { CONTRACT_RULES } from './check.js';

it('docs/contract.md lists every contract rule, in order, and nothing else', () => {
  const doc = readFileSync(new URL('../../../docs/contract.md', import.meta.url), 'utf8');
  const listed = [...doc.matchAll(/^\| `(contract\.[a-z-]+)` \|/gm)].map((m) => m[1]);
  expect(listed).toEqual(Object.keys(CONTRACT_RULES));
});
