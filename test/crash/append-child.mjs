// The crash test's victim: appends to a SQLite ledger under load through the compiled writer (dist/) and
// writes `<seq> <mac>` to the acknowledgement file for every acknowledged record, until it is killed with
// SIGKILL. The acknowledgements go to a regular file, not to stdout: a pipe may be non-blocking and refuse a
// synchronous write with EAGAIN when the reader falls behind, while a file write completes or throws.
// Usage: node append-child.mjs <dist dir> <database file> <acknowledgement file>; keys arrive in AOS_CRASH_MAC_KEY (hex) and
// AOS_CRASH_SIGNING_KEY (PEM).
import { Buffer } from 'node:buffer';
import { openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { pathToFileURL } from 'node:url';

const [dist, file, ackFile] = process.argv.slice(2);
const acks = openSync(ackFile, 'a');
const load = (path) => import(pathToFileURL(join(dist, path)).href);
const { LedgerWriter } = await load('governor/ledger-writer.js');
const { openSqliteStore } = await load('adapters/store-sqlite/store.js');
const { NodeMacKeys, NodeSigner, nodeHasher } = await load('adapters/crypto.js');

const store = openSqliteStore({ file });
await store.migrate();
const writer = await LedgerWriter.open({
  store: store.ledger,
  stream: 'crash',
  macKeys: new NodeMacKeys({ m1: Buffer.from(process.env.AOS_CRASH_MAC_KEY, 'hex') }, 'm1'),
  signer: new NodeSigner({ s1: process.env.AOS_CRASH_SIGNING_KEY }, 's1'),
  hasher: nodeHasher,
  clock: { now: () => Date.now() },
  checkpoints: { everyRecords: 40, everyMs: 50 },
  maxBatch: 64,
});
writeSync(1, 'ready\n');

let n = 0;
async function worker() {
  for (;;) {
    const r = await writer.append('action.requested', { n: n++, pid: process.pid });
    // Synchronous, so a line in the file means the record was acknowledged before the kill.
    writeSync(acks, `${r.seq} ${r.mac}\n`);
  }
}
await Promise.all(Array.from({ length: 32 }, worker));
