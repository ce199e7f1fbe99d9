/**
 * `agentos episode show` and `agentos explain <record>`: actions read back out of the ledger.
 */
import type { Command } from 'commander';
import { readEpisode } from '../../governor/action-history.js';
import { explainRecord } from '../../governor/explain-record.js';
import { historyPorts, openNodeLedger } from '../../root.js';
import { dataDir, dataOption } from './data-dir.js';
import type { CliIo } from './io.js';
import { write } from './io.js';
import { renderEpisode, renderRecordExplanation } from './render-history.js';
import { styleFor } from './style.js';

/** Opens the data directory's store read-only for the length of `use`. */
async function withLedger<T>(
  opts: { data?: string },
  io: CliIo,
  use: (store: Awaited<ReturnType<typeof openNodeLedger>>['store']) => Promise<T>,
): Promise<T> {
  const { store } = await openNodeLedger(dataDir(opts, io.env), { readonly: true });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/** Adds `episode show` and `explain`. */
export function addHistoryCommands(program: Command, io: CliIo): void {
  const episode = program.command('episode').description('the steps of one task, read from the ledger');
  dataOption(
    episode
      .command('show')
      .description('every action of an episode in order, with its decision and outcome')
      .argument('<episode>', 'the episode id (the `episode` of the requests)'),
  )
    .option('--json', 'print the steps as JSON')
    .action(async (id: string, opts: { data?: string; json?: boolean }) => {
      const steps = await withLedger(opts, io, (store) => readEpisode(store.ledger, id));
      await write(
        io.stdout,
        opts.json
          ? JSON.stringify({ episode: id, steps }, null, 2) + '\n'
          : renderEpisode(id, steps, styleFor(io.stdout, io.env)),
      );
    });

  dataOption(
    program
      .command('explain')
      .description(
        're-evaluate a recorded decision under the org and policies in force when it was made (or today, with --now)',
      )
      .argument('<record>', 'a record of the action, `<stream>/<seq>`, or the action id `act_…`'),
  )
    .option('--now', "also re-evaluate under today's org and policies, and show what differs")
    .option('--json', 'print the result as JSON')
    .action(async (ref: string, opts: { data?: string; now?: boolean; json?: boolean }) => {
      const result = await withLedger(opts, io, (store) =>
        explainRecord({ store, ...historyPorts() }, ref, { now: opts.now ?? false }),
      );
      await write(
        io.stdout,
        opts.json
          ? JSON.stringify(result, null, 2) + '\n'
          : renderRecordExplanation(result, styleFor(io.stdout, io.env)),
      );
    });
}
