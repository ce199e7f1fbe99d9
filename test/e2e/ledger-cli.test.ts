/**
 * End-to-end: `agentos init`, `keys rotate`, `audit verify` and `audit export` as real processes on a real
 * SQLite database. There is no ledger writer in this suite's scope yet, so the test setup builds records
 * with the kernel's Chain and checkpoints under the data directory's own keys and appends them through the
 * SQLite store adapter.
 */
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeHasher } from '../../src/adapters/crypto.js';
import { loadKeyring } from '../../src/adapters/keys-fs.js';
import { openSqliteStore } from '../../src/adapters/store-sqlite/store.js';
import { Chain, genesisHead } from '../../src/kernel/ledger/chain.js';
import { appendCheckpoint } from '../../src/kernel/ledger/checkpoint.js';
import type { ChainHead, LedgerRecord } from '../../src/kernel/ledger/record.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'agentos-ledger-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => join(tmp, `data-${++n}`);

function agentos(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['bin/agentos.js', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '', AGENTOS_DATA: '', ...env },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function init(dir: string): void {
  const r = agentos(['init', '--data', dir]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}

/**
 * Appends `count` records to each stream (a checkpoint after every third, plus `trailing` uncovered
 * records) under the directory's current keys; returns the chain heads to continue from.
 */
async function writeRecords(
  dir: string,
  streams: readonly string[],
  count: number,
  heads: Record<string, ChainHead> = {},
): Promise<Record<string, ChainHead>> {
  const keys = await loadKeyring(join(dir, 'keys'));
  const store = openSqliteStore({ file: join(dir, 'ledger.db') });
  try {
    for (const stream of streams) {
      const chain = new Chain(keys.macKeys, nodeHasher, heads[stream] ?? genesisHead(stream));
      const batch: LedgerRecord[] = [];
      for (let i = 1; i <= count; i++) {
        const time = new Date(Date.UTC(2026, 0, 1, 0, 0, chain.head.seq)).toISOString();
        batch.push(chain.append('action.requested', { agent: 'bot', i, note: `n${i}` }, time));
        if (i % 3 === 0) batch.push(appendCheckpoint(chain, keys.signer, time));
      }
      await store.ledger.append(batch);
      heads[stream] = chain.head;
    }
  } finally {
    await store.close();
  }
  return heads;
}

/** Edits a stored body directly, around the append-only trigger (dropped, then recreated as it was). */
function tamperBody(dir: string, stream: string, seq: number, body: unknown): void {
  const db = new Database(join(dir, 'ledger.db'));
  try {
    const sql = db
      .prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'ledger_no_update'")
      .pluck()
      .get() as string;
    db.transaction(() => {
      db.exec('DROP TRIGGER ledger_no_update');
      const r = db
        .prepare('UPDATE ledger SET body = ? WHERE stream = ? AND seq = ?')
        .run(JSON.stringify(body), stream, seq);
      expect(r.changes).toBe(1);
      db.exec(sql);
    })();
    // the trigger is back: a plain UPDATE is refused again
    expect(() => db.prepare("UPDATE ledger SET body = '1'").run()).toThrow(/append-only/);
  } finally {
    db.close();
  }
}

const mode = (path: string): number => statSync(path).mode & 0o777;

describe('agentos init', () => {
  it('creates config, database and keys, private keys mode 0600', () => {
    const dir = freshDir();
    const r = agentos(['init', '--data', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^created .*agentos\.yaml$/m);
    expect(r.stdout).toMatch(/^created .*ledger\.db \(schema v\d+\)$/m);
    const keys = readdirSync(join(dir, 'keys')).sort();
    const current = JSON.parse(readFileSync(join(dir, 'keys', 'current.json'), 'utf8')) as {
      mac: string;
      signing: string;
    };
    expect(current.mac).toMatch(/^\d{8}-[0-9a-f]{8}$/);
    expect(keys).toEqual(
      [
        'current.json',
        `ed25519-${current.signing}.key`,
        `ed25519-${current.signing}.pub`,
        `hmac-${current.mac}.key`,
      ].sort(),
    );
    expect(mode(join(dir, 'keys', `hmac-${current.mac}.key`))).toBe(0o600);
    expect(mode(join(dir, 'keys', `ed25519-${current.signing}.key`))).toBe(0o600);
    expect(mode(join(dir, 'keys', 'current.json')) & 0o077).not.toBe(0o077);
    expect(readFileSync(join(dir, 'keys', `hmac-${current.mac}.key`), 'utf8').trim()).toMatch(
      /^[0-9a-f]{64}$/,
    );
    expect(readFileSync(join(dir, 'keys', `ed25519-${current.signing}.pub`), 'utf8')).toMatch(
      /^-----BEGIN PUBLIC KEY-----/,
    );
    const yaml = readFileSync(join(dir, 'agentos.yaml'), 'utf8');
    expect(yaml).toMatch(/^ {2}kind: sqlite$/m);
    expect(yaml).toMatch(/^listen: 127\.0\.0\.1:7070$/m);
  });

  it('uses AGENTOS_DATA when --data is absent', () => {
    const dir = freshDir();
    expect(agentos(['init'], { AGENTOS_DATA: dir }).code).toBe(0);
    expect(statSync(join(dir, 'agentos.yaml')).isFile()).toBe(true);
  });

  it('never overwrites config or keys on a second run, and says what exists', () => {
    const dir = freshDir();
    init(dir);
    const files = ['agentos.yaml', ...readdirSync(join(dir, 'keys')).map((f) => join('keys', f))];
    const before = new Map(files.map((f) => [f, readFileSync(join(dir, f))]));
    const again = agentos(['init', '--data', dir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^exists +.*agentos\.yaml$/m);
    expect(again.stdout).toMatch(/nothing to do/);
    expect(readdirSync(join(dir, 'keys')).length).toBe(4);
    for (const [f, bytes] of before) expect(readFileSync(join(dir, f)).equals(bytes), f).toBe(true);
  });

  it('refuses a bad agentos.yaml with a coded error at file:line:col, and changes nothing', () => {
    const dir = freshDir();
    init(dir);
    const file = join(dir, 'agentos.yaml');
    writeFileSync(file, 'storage:\n  kind: sqlit\nlisten: nowhere\n');
    for (const args of [
      ['audit', 'verify', '--data', dir],
      ['init', '--data', dir],
    ]) {
      const r = agentos(args);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`agentos: ${file}:2:9: \`storage.kind\``);
      expect(r.stderr).toMatch(/\[AOS_CONFIG_INVALID\]$/m);
      expect(r.stderr).toContain(`${file}:3:9: \`listen\`: must be \`host:port\``);
    }
    expect(readFileSync(file, 'utf8')).toBe('storage:\n  kind: sqlit\nlisten: nowhere\n');
    writeFileSync(file, 'storage: [\n');
    const syntax = agentos(['audit', 'verify', '--data', dir]);
    expect(syntax.code).toBe(3);
    expect(syntax.stderr).toMatch(/\[AOS_YAML_SYNTAX\]$/m);
  });

  it('audit verify on a directory that was never initialised is an I/O error naming init', () => {
    const r = agentos(['audit', 'verify', '--data', freshDir()]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/agentos init/);
  });
});

describe('agentos audit verify', () => {
  it('is ok on a clean ledger and counts records, streams, checkpoints, uncovered', async () => {
    const dir = freshDir();
    init(dir);
    expect(agentos(['audit', 'verify', '--data', dir]).stdout).toBe(
      'ok: 0 records, 0 streams, 0 checkpoints (0 not yet covered by a signature)\n',
    );
    await writeRecords(dir, ['node-a', 'node-b'], 7);
    const r = agentos(['audit', 'verify', '--data', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // per stream: 7 records + 2 checkpoints; the last checkpoint covers 6 + 1, leaving seq 8 and 9 uncovered
    expect(r.stdout).toBe('ok: 18 records, 2 streams, 4 checkpoints (4 not yet covered by a signature)\n');
  });

  it('names <stream>/<seq> of a body edited in the SQLite file, exit 1', async () => {
    const dir = freshDir();
    init(dir);
    await writeRecords(dir, ['node-a', 'node-b'], 7);
    tamperBody(dir, 'node-b', 5, { agent: 'bot', i: 4, note: 'rewritten' });
    const r = agentos(['audit', 'verify', '--data', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^node-b\/5: changed: .+\n$/);
  });

  it('keys rotate adds key ids, makes them current, and old records still verify', async () => {
    const dir = freshDir();
    init(dir);
    const old = JSON.parse(readFileSync(join(dir, 'keys', 'current.json'), 'utf8')) as { mac: string };
    const heads = await writeRecords(dir, ['node-a'], 4);
    const r = agentos(['keys', 'rotate', '--data', dir]);
    expect(r.code).toBe(0);
    const now = JSON.parse(readFileSync(join(dir, 'keys', 'current.json'), 'utf8')) as {
      mac: string;
      signing: string;
    };
    expect(now.mac).not.toBe(old.mac);
    expect(r.stdout).toContain(`current key id: ${now.mac} (was ${old.mac}`);
    const keys = readdirSync(join(dir, 'keys'));
    expect(keys).toHaveLength(7);
    for (const id of [old.mac, now.mac]) {
      expect(keys).toContain(`hmac-${id}.key`);
      expect(mode(join(dir, 'keys', `hmac-${id}.key`))).toBe(0o600);
      expect(mode(join(dir, 'keys', `ed25519-${id}.key`))).toBe(0o600);
    }
    expect(r.stdout).toMatch(/^recorded key\.rotated as [^/\s]+\/1$/m);
    await writeRecords(dir, ['node-a'], 4, heads); // continues the stream under the new keys
    const v = agentos(['audit', 'verify', '--data', dir]);
    // node-a's 10 records, and in the node's own stream key.rotated and the checkpoint that covers it
    expect(v.stdout).toMatch(/^ok: 12 records, 2 streams, 3 checkpoints/);
    expect(v.code).toBe(0);
    const db = new Database(join(dir, 'ledger.db'), { readonly: true });
    const ids = db.prepare('SELECT DISTINCT key_id FROM ledger ORDER BY key_id').pluck().all();
    const rotated = db.prepare("SELECT body, key_id FROM ledger WHERE type = 'key.rotated'").all();
    db.close();
    expect(new Set(ids)).toEqual(new Set([old.mac, now.mac]));
    expect(rotated).toEqual([
      {
        body: JSON.stringify({
          mac: { from: old.mac, to: now.mac },
          signing: { from: old.mac, to: now.signing },
        }),
        key_id: now.mac,
      },
    ]);
  });
});

describe('agentos audit export', () => {
  it('round-trips: export → verify --file --pubkey, and detects a tampered line', async () => {
    const dir = freshDir();
    init(dir);
    await writeRecords(dir, ['node-a', 'node-b'], 9);
    const exp = agentos(['audit', 'export', '--format', 'jsonl', '--data', dir]);
    expect(exp.code).toBe(0);
    const lines = exp.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(24);
    const file = join(dir, 'export.jsonl');
    writeFileSync(file, exp.stdout);
    const current = JSON.parse(readFileSync(join(dir, 'keys', 'current.json'), 'utf8')) as {
      signing: string;
    };
    const pub = join(dir, 'keys', `ed25519-${current.signing}.pub`);

    const ok = agentos(['audit', 'verify', '--file', file, '--pubkey', pub]);
    expect(ok.stderr).toBe('');
    // a checkpoint covers the records before it, not itself: each stream's last checkpoint is uncovered
    expect(ok.stdout).toBe('ok: 24 records, 2 streams, 6 checkpoints (2 not yet covered by a signature)\n');
    expect(ok.code).toBe(0);

    // an edited body inside a signed range: the public auditor sees it at the covering checkpoint
    const records = lines.map((l) => JSON.parse(l) as LedgerRecord);
    const i = records.findIndex((rec) => rec.stream === 'node-a' && rec.seq === 2);
    records[i] = { ...records[i]!, body: { agent: 'bot', i: 2, note: 'forged' } };
    const tampered = join(dir, 'tampered.jsonl');
    writeFileSync(tampered, records.map((rec) => JSON.stringify(rec)).join('\n') + '\n');
    const bad = agentos(['audit', 'verify', '--file', tampered, '--pubkey', pub]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^node-a\/4: forged-chain: .+\n$/);
    // the full auditor (all keys from the data directory) names the edited record itself
    const full = agentos(['audit', 'verify', '--file', tampered, '--data', dir]);
    expect(full.code).toBe(1);
    expect(full.stdout).toMatch(/^node-a\/2: changed: /);
    // without the signing key the checkpoint cannot be trusted
    const other = agentos(['audit', 'verify', '--file', file, '--pubkey', `someone-else=${pub}`]);
    expect(other.code).toBe(1);
    expect(other.stdout).toMatch(/^node-a\/4: unknown-key: /);
  });

  it('--file needs --pubkey or --data; an unknown format is a usage error', () => {
    expect(agentos(['audit', 'verify', '--file', 'x.jsonl']).code).toBe(2);
    expect(agentos(['audit', 'export', '--format', 'xml']).code).toBe(2);
  });
});
