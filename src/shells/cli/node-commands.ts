/**
 * `agentos init` and `agentos keys rotate`: create a data directory, rotate the ledger's keys.
 */
import type { Command } from 'commander';
import { CONFIG_FILE, describeConfig } from '../../governor/config.js';
import { initDataDir, rotateKeys } from '../../root.js';
import { dataDir, dataOption } from './data-dir.js';
import type { CliIo } from './io.js';
import { write } from './io.js';

/** Adds `init` and `keys rotate` to a program. */
export function addNodeCommands(program: Command, io: CliIo): void {
  dataOption(
    program
      .command('init')
      .description(
        'create a data directory: agentos.yaml, policies/, the migrated database and keys; never overwrites',
      ),
  )
    .addHelpText(
      'after',
      `\n${CONFIG_FILE} settings (paths relative to the data directory):\n${describeConfig().join('\n')}\n`,
    )
    .option('--json', 'print the steps as JSON')
    .action(async (opts: { data?: string; json?: boolean }) => {
      const dir = dataDir(opts, io.env);
      const { steps } = await initDataDir(dir);
      if (opts.json) return write(io.stdout, `${JSON.stringify({ dataDir: dir, steps })}\n`);
      for (const s of steps) {
        const note = s.note ? ` (${s.note})` : '';
        await write(io.stdout, `${s.created ? 'created' : 'exists '} ${s.path}${note}\n`);
      }
      if (steps.every((s) => !s.created)) await write(io.stdout, `nothing to do: ${dir} is initialised\n`);
    });

  const keys = program.command('keys').description("manage the ledger's HMAC and Ed25519 keys");
  dataOption(
    keys
      .command('rotate')
      .description(
        'add a new HMAC key and Ed25519 key pair and make them current; old keys stay so old records verify',
      ),
  )
    .option('--json', 'print what was created as JSON')
    .action(async (opts: { data?: string; json?: boolean }) => {
      const { previous, id, files, record } = await rotateKeys(dataDir(opts, io.env));
      if (opts.json) return write(io.stdout, `${JSON.stringify({ previous, id, files, record })}\n`);
      for (const f of files) await write(io.stdout, `created ${f}\n`);
      await write(io.stdout, `current key id: ${id} (was ${previous}; kept for verification)\n`);
      await write(io.stdout, `recorded key.rotated as ${record}\n`);
    });
}
