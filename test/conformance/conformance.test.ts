/**
 * The conformance suite: every `*.test.yaml` under test/conformance runs through the real loader,
 * compiler and engine (the same path as `agentos policy test`); each case is one test.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runPolicyTests } from '../../src/governor/policy-workspace.js';
import { offlinePorts } from '../../src/root.js';

const dir = fileURLToPath(new URL('.', import.meta.url));
const report = await runPolicyTests(offlinePorts(), [dir]);
const byFile = new Map<string, typeof report.results>();
for (const r of report.results) byFile.set(r.file, [...(byFile.get(r.file) ?? []), r]);

describe('conformance', () => {
  it('found cases', () => {
    expect(report.results.length).toBeGreaterThan(100);
  });
  for (const [file, results] of byFile) {
    describe(file.slice(dir.length), () => {
      for (const r of results) {
        it(r.name, () => {
          expect(r.failures, JSON.stringify(r.decision)).toEqual([]);
        });
      }
    });
  }
});
