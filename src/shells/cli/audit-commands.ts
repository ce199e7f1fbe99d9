/**
 * `agentos audit verify|export|tail|query`: check the ledger's chain and signatures, export it (JSONL, OCSF,
 * CEF), and read it (docs/cli.md, docs/siem.md). Formats, filters and tailing live in `audit-*.ts`.
 */
import { Option, type Command } from 'commander';
import type { LedgerStore } from '../../governor/store.js';
import { AgentOsError } from '../../kernel/errors.js';
import type { LedgerRecord } from '../../kernel/ledger/record.js';
import { verifyLedgerAsync, type VerifyOptions } from '../../kernel/ledger/verify.js';
import { loadNodeKeys, nodeHasher, openNodeLedger, publicAuditor } from '../../root.js';
import { EXPORT_FORMATS, lineFormatter, type ExportFormat } from './audit-export.js';
import { filterOptions, ledgerQuery, positiveInt, type FilterOpts } from './audit-filters.js';
import { recordHeader, recordLine } from './audit-format.js';
import { follow, lastRecords, untilTerminated } from './audit-tail.js';
import { verifyExportFile, type FileVerifyResult } from './audit-verify-file.js';
import { dataDir, dataOption } from './data-dir.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './io.js';
import { counted } from './progress.js';
import { write } from './io.js';
import type { SetExit } from './policy-commands.js';
import { styleFor } from './style.js';

interface VerifyOpts {
  data?: string;
  file?: string;
  pubkey?: string[];
}

/** How often `tail -f` polls the store. */
const FOLLOW_INTERVAL_MS = 250;

/** Adds the `audit` command group to a program. */
export function addAuditCommands(program: Command, io: CliIo, setExit: SetExit): void {
  const audit = program.command('audit').description('verify, export and read the tamper-evident ledger');

  dataOption(
    audit
      .command('verify')
      .description(
        'check every record (MACs, links, checkpoint signatures) of the data directory, or of an export with --file',
      ),
  )
    .option('--file <export>', 'verify a JSONL or OCSF export instead of the store (offline, no daemon)')
    .option(
      '--pubkey <files...>',
      'Ed25519 public key files (PEM) for --file; the key id is `<id>=<file>` or from the name ed25519-<id>.pub',
    )
    .option('--json', 'print the result as JSON')
    .action(async (opts: VerifyOpts & { json?: boolean }) => {
      const result = opts.file ? await verifyFile(opts.file, opts, io) : await verifyStore(opts, io);
      if (opts.json) {
        await write(io.stdout, `${JSON.stringify(result)}\n`);
        if (!result.ok) setExit(EXIT.failed);
      } else if (result.ok) {
        const n = Object.keys(result.streams).length;
        await write(
          io.stdout,
          `ok: ${result.records} records, ${n} stream${n === 1 ? '' : 's'}, ${result.checkpoints} checkpoints ` +
            `(${result.uncovered} not yet covered by a signature)\n`,
        );
      } else {
        const place = result.place === undefined ? '' : `${result.place}: `;
        await write(io.stdout, `${result.at}: ${result.problem}: ${place}${result.message}\n`);
        setExit(EXIT.failed);
      }
    });

  filterOptions(
    dataOption(audit.command('export').description('write ledger records to stdout, one per line')),
    ['since', 'until', 'agent', 'episode', 'type', 'stream'],
  )
    .addOption(
      new Option(
        '--format <format>',
        'jsonl (records as stored), ocsf (OCSF 1.3 NDJSON) or cef (ArcSight CEF)',
      )
        .choices(EXPORT_FORMATS)
        .default('jsonl'),
    )
    .action(async (opts: FilterOpts & { data?: string; format: ExportFormat }) => {
      const query = ledgerQuery(opts);
      const line = lineFormatter(opts.format);
      await withLedger(opts, io, async (ledger) => {
        for await (const r of counted(ledger.read(query), 'exported records', io.stderr)) {
          await write(io.stdout, line(r) + '\n');
        }
      });
    });

  filterOptions(
    dataOption(
      audit.command('tail').description('print the last records; with -f, then new ones as they come'),
    ),
    ['stream', 'agent', 'episode', 'type'],
  )
    .option('-n, --lines <count>', 'how many records to print first', '10')
    .option('-f, --follow', 'keep printing records as they are appended, until SIGINT or SIGTERM')
    .option('--json', 'print records as JSONL')
    .action(async (opts: FilterOpts & { data?: string; lines: string; follow?: boolean; json?: boolean }) => {
      const query = ledgerQuery(opts);
      const n = positiveInt('-n', opts.lines, true);
      const print = printer(io, opts.json === true);
      await withLedger(opts, io, async (ledger) => {
        const { records, cursors } = await lastRecords(ledger, query, n);
        await print(records);
        if (!opts.follow) return;
        const { signal, dispose } = untilTerminated();
        try {
          await follow(ledger, query, cursors, print, { intervalMs: FOLLOW_INTERVAL_MS, signal });
        } finally {
          dispose();
        }
      });
    });

  filterOptions(dataOption(audit.command('query').description('print the records that match the filters')), [
    'since',
    'until',
    'agent',
    'episode',
    'type',
    'stream',
    'limit',
  ])
    .option('--json', 'print records as JSONL')
    .action(async (opts: FilterOpts & { data?: string; json?: boolean }) => {
      const query = ledgerQuery(opts);
      const style = styleFor(io.stdout, io.env);
      await withLedger(opts, io, async (ledger) => {
        if (!opts.json) await write(io.stdout, recordHeader(style) + '\n');
        const print = printer(io, opts.json === true);
        for await (const r of ledger.read(query)) await print([r]);
      });
    });
}

/** Opens the data directory's store read-only for `fn` and closes it after. */
async function withLedger(
  opts: { data?: string },
  io: CliIo,
  fn: (ledger: LedgerStore) => Promise<void>,
): Promise<void> {
  const { store } = await openNodeLedger(dataDir(opts, io.env), { readonly: true });
  try {
    await fn(store.ledger);
  } finally {
    await store.close();
  }
}

/** Prints records as JSONL or as readable lines. */
function printer(io: CliIo, json: boolean): (records: LedgerRecord[]) => Promise<void> {
  const style = styleFor(io.stdout, io.env);
  return async (records) => {
    for (const r of records) await write(io.stdout, (json ? JSON.stringify(r) : recordLine(r, style)) + '\n');
  };
}

async function verifyStore(opts: VerifyOpts, io: CliIo): Promise<FileVerifyResult> {
  if (opts.pubkey) throw new AgentOsError('AOS_USAGE', '--pubkey goes with --file');
  const { store, keyring, hasher } = await openNodeLedger(dataDir(opts, io.env), { readonly: true });
  try {
    return await verifyLedgerAsync(counted(store.ledger.read(), 'verifying records', io.stderr), {
      hasher,
      macKeys: keyring.macKeys,
      publicKeys: keyring.publicKeys,
    });
  } finally {
    await store.close();
  }
}

async function verifyFile(file: string, opts: VerifyOpts, io: CliIo): Promise<FileVerifyResult> {
  let options: VerifyOptions;
  if (opts.pubkey) options = await publicAuditor(opts.pubkey);
  else if (opts.data !== undefined || io.env.AGENTOS_DATA) {
    const keyring = await loadNodeKeys(dataDir(opts, io.env));
    options = { hasher: nodeHasher, macKeys: keyring.macKeys, publicKeys: keyring.publicKeys };
  } else throw new AgentOsError('AOS_USAGE', '--file needs --pubkey (public keys) or --data (all keys)');
  return verifyExportFile(file, options);
}
