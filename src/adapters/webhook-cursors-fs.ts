/**
 * Webhook cursors as small files in the data directory (`webhooks/<name>.cursor`), replaced atomically.
 * Losing one only means records are sent again (deliveries are at least once), so no fsync is paid.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WebhookCursors } from '../governor/webhooks.js';
import { AgentOsError } from '../kernel/errors.js';

/** Cursors for `stream` under `dir`; a cursor written for another stream counts as none. */
export function fileCursors(dir: string, stream: string): WebhookCursors {
  return {
    async load(name) {
      let text: string;
      try {
        text = await readFile(join(dir, `${name}.cursor`), 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
      let saved: { stream?: unknown; seq?: unknown };
      try {
        saved = JSON.parse(text) as typeof saved;
      } catch (e) {
        throw new AgentOsError(
          'AOS_STORE_CORRUPT',
          `webhook cursor \`${join(dir, `${name}.cursor`)}\` is not JSON; remove it to start from the ledger's head`,
          { cause: e },
        );
      }
      return saved.stream === stream && typeof saved.seq === 'number' ? saved.seq : undefined;
    },
    async save(name, seq) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const file = join(dir, `${name}.cursor`);
      await writeFile(`${file}.tmp`, JSON.stringify({ stream, seq }) + '\n', { mode: 0o600 });
      await rename(`${file}.tmp`, file);
    },
  };
}
