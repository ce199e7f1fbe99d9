/**
 * `agentos audit verify|export`: check the ledger's chain and signatures, export it as JSONL.
 */
import { Option, type Command } from 'commander';
import { AgentOsError } from '../../kernel/errors.js';
import { verifyLedgerAsync, type VerifyOptions, type VerifyResult } from '../../kernel/ledger/verify.js';
import { loadNodeKeys, nodeHasher, openNodeLedger, publicAuditor } from '../../root.js';
import { dataDir, dataOption } from './data-dir.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './io.js';
import { write } from './io.js';
import { readJsonl } from './jsonl-input.js';
import type { SetExit } from './policy-commands.js';

interface VerifyOpts {
  data?: string;
  file?: string;
  pubkey?: string[];
}

/** Adds the `audit` command group to a program. */
export function addAuditCommands(program: Command, io: CliIo, setExit: SetExit): void {
  const audit = program.command('audit').description('verify and export the tamper-evident ledger');

  dataOption(
    audit
      .command('verify')
      .description(
        'check every record (MACs, links, checkpoint signatures) of the data directory, or of an export with --file',
      ),
  )
    .option('--file <export.jsonl>', 'verify a JSONL export instead of the store (offline, no daemon)')
    .option(
      '--pubkey <files...>',
      'Ed25519 public key files (PEM) for --file; the key id is `<id>=<file>` or from the name ed25519-<id>.pub',
    )
    .action(async (opts: VerifyOpts) => {
      const result = opts.file ? await verifyFile(opts.file, opts, io) : await verifyStore(opts, io);
      if (result.ok) {
        const n = Object.keys(result.streams).length;
        await write(
          io.stdout,
          `ok: ${result.records} records, ${n} stream${n === 1 ? '' : 's'}, ${result.checkpoints} checkpoints ` +
            `(${result.uncovered} not yet covered by a signature)\n`,
        );
      } else {
        await write(io.stdout, `${result.at}: ${result.problem}: ${result.message}\n`);
        setExit(EXIT.failed);
      }
    });

  dataOption(
    audit
      .command('export')
      .description('write every ledger record to stdout, one JSON record per line (OCSF and CEF: not yet)'),
  )
    .addOption(
      new Option('--format <format>', 'the output format (only jsonl for now)')
        .choices(['jsonl'])
        .default('jsonl'),
    )
    .action(async (opts: { data?: string }) => {
      const { store } = await openNodeLedger(dataDir(opts, io.env), { readonly: true });
      try {
        for await (const r of store.ledger.read()) await write(io.stdout, JSON.stringify(r) + '\n');
      } finally {
        await store.close();
      }
    });
}

async function verifyStore(opts: VerifyOpts, io: CliIo): Promise<VerifyResult> {
  if (opts.pubkey) throw new AgentOsError('AOS_USAGE', '--pubkey goes with --file');
  const { store, keyring, hasher } = await openNodeLedger(dataDir(opts, io.env), { readonly: true });
  try {
    return await verifyLedgerAsync(store.ledger.read(), {
      hasher,
      macKeys: keyring.macKeys,
      publicKeys: keyring.publicKeys,
    });
  } finally {
    await store.close();
  }
}

async function verifyFile(file: string, opts: VerifyOpts, io: CliIo): Promise<VerifyResult> {
  let options: VerifyOptions;
  if (opts.pubkey) options = await publicAuditor(opts.pubkey);
  else if (opts.data !== undefined || io.env.AGENTOS_DATA) {
    const keyring = await loadNodeKeys(dataDir(opts, io.env));
    options = { hasher: nodeHasher, macKeys: keyring.macKeys, publicKeys: keyring.publicKeys };
  } else throw new AgentOsError('AOS_USAGE', '--file needs --pubkey (public keys) or --data (all keys)');
  return verifyLedgerAsync(readJsonl(file), options);
}
