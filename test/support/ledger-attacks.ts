/**
 * Generated ledgers and the tamperings the verifier's property tests apply to them (used by
 * src/kernel/ledger/verify.test.ts): several interleaved streams with checkpoints and a key rotation, and
 * for each tampering the first record, in storage order, whose verification must fail.
 */
import fc from 'fast-check';
import {
  NodeMacKeys,
  NodeSignatureVerifier,
  NodeSigner,
  generateSigningKeyPair,
  nodeHasher,
} from '../../src/adapters/crypto.js';
import { Chain, genesisHead, macMessage } from '../../src/kernel/ledger/chain.js';
import { appendCheckpoint, checkpointDue } from '../../src/kernel/ledger/checkpoint.js';
import {
  RECORD_TYPES,
  type JsonValue,
  type LedgerRecord,
  type RecordType,
} from '../../src/kernel/ledger/record.js';
import { verifyLedger, type VerifyOptions, type VerifyResult } from '../../src/kernel/ledger/verify.js';

// Keys: k1/s1 are the old keys, k2/s2 the current ones; a ledger rotates from one to the other part way.
const K1 = new Uint8Array(32).fill(1);
export const K2 = new Uint8Array(32).fill(2);
const EVIL = new Uint8Array(32).fill(0xee);
export const oldMac = new NodeMacKeys({ k1: K1 }, 'k1');
export const newMac = new NodeMacKeys({ k1: K1, k2: K2 }, 'k2');
const S1 = generateSigningKeyPair();
export const S2 = generateSigningKeyPair();
const SE = generateSigningKeyPair();
export const oldSigner = new NodeSigner({ s1: S1.privateKeyPem }, 's1');
export const newSigner = new NodeSigner({ s1: S1.privateKeyPem, s2: S2.privateKeyPem }, 's2');
const evilSigner = new NodeSigner({ 'sk-evil': SE.privateKeyPem }, 'sk-evil');
export const publicKeys = new NodeSignatureVerifier({ s1: S1.publicKeyPem, s2: S2.publicKeyPem });

/** The three auditors. */
export const macOnly: VerifyOptions = { hasher: nodeHasher, macKeys: newMac };
export const pubOnly: VerifyOptions = { hasher: nodeHasher, publicKeys };
export const full: VerifyOptions = { hasher: nodeHasher, macKeys: newMac, publicKeys };

const STREAMS = ['alpha', 'beta', 'gamma'];
const PLAIN_TYPES = RECORD_TYPES.filter((t) => t !== 'checkpoint');

interface Step {
  readonly s: number;
  readonly cp: boolean;
  readonly type: RecordType;
  readonly body: JsonValue;
}
interface Plan {
  readonly steps: readonly Step[];
  readonly every: number;
  readonly rotateAt: number;
}

const bodyArb: fc.Arbitrary<JsonValue> = fc.record({
  agent: fc.constantFrom('a1', 'a2'),
  action: fc.string({ maxLength: 8 }),
  n: fc.integer(),
  ok: fc.boolean(),
  tags: fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
  note: fc.constant(null),
});
export const planArb: fc.Arbitrary<Plan> = fc.record({
  steps: fc.array(
    fc.record({
      s: fc.integer({ min: 0, max: 2 }),
      cp: fc.boolean(),
      type: fc.constantFrom(...PLAIN_TYPES),
      body: bodyArb,
    }),
    { minLength: 6, maxLength: 40 },
  ),
  every: fc.integer({ min: 2, max: 6 }),
  rotateAt: fc.nat({ max: 40 }),
});

export const timeAt = (i: number): string => new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();

/** Writes a ledger the way the writer will: per-stream chains, checkpoints when due or asked, a key rotation. */
export function build(plan: Plan): LedgerRecord[] {
  const out: LedgerRecord[] = [];
  const chains = new Map<string, { chain: Chain; since: number; rotated: boolean }>();
  plan.steps.forEach((step, i) => {
    const name = STREAMS[step.s] as string;
    const rotated = i >= plan.rotateAt;
    let c = chains.get(name) ?? {
      chain: new Chain(rotated ? newMac : oldMac, nodeHasher, genesisHead(name)),
      since: 0,
      rotated,
    };
    // Rotation: a new chain over the new keyring, resumed from the old one's head.
    if (rotated && !c.rotated)
      c = { chain: new Chain(newMac, nodeHasher, c.chain.head), since: c.since, rotated };
    const signer = rotated ? newSigner : oldSigner;
    if (step.cp && c.since > 0) {
      out.push(appendCheckpoint(c.chain, signer, timeAt(i)));
      c.since = 0;
    } else {
      out.push(c.chain.append(step.type, step.body, timeAt(i)));
      c.since++;
      if (checkpointDue({ everyRecords: plan.every, everyMs: 60_000 }, c.since, 0)) {
        out.push(appendCheckpoint(c.chain, signer, timeAt(i)));
        c.since = 0;
      }
    }
    chains.set(name, c);
  });
  return out;
}

const clone = (records: readonly LedgerRecord[]): LedgerRecord[] => JSON.parse(JSON.stringify(records));
const atOf = (r: LedgerRecord): string => `${r.stream}/${r.seq}`;
const HEX = '0123456789abcdef';

/** Replaces the character at `i` (mod length) with a different one of `alphabet`. */
function tweakString(s: string, i: number, alphabet: string): string {
  if (s.length === 0) return alphabet[0] as string;
  const j = i % s.length;
  const k = alphabet.indexOf(s[j] as string);
  const next = alphabet[(k + 1) % alphabet.length] as string;
  return s.slice(0, j) + next + s.slice(j + 1);
}

/** Changes one leaf of a JSON value (the `pick`-th, mod the number of leaves). */
function tweakLeaf(value: JsonValue, pick: number): JsonValue {
  const leaves: (readonly (string | number)[])[] = [];
  const walk = (v: JsonValue, path: (string | number)[]): void => {
    if (v !== null && typeof v === 'object') {
      const entries = Array.isArray(v) ? v.map((x, i) => [i, x] as const) : Object.entries(v);
      for (const [k, x] of entries) walk(x as JsonValue, [...path, k]);
    } else leaves.push(path);
  };
  walk(value, []);
  const path = leaves[pick % leaves.length] as (string | number)[];
  const root = JSON.parse(JSON.stringify(value)) as JsonValue;
  if (path.length === 0) return change(root, pick);
  let parent = root as Record<string | number, JsonValue>;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, JsonValue>;
  const last = path[path.length - 1] as string | number;
  parent[last] = change(parent[last] as JsonValue, pick);
  return root;
}
function change(v: JsonValue, pick: number): JsonValue {
  if (typeof v === 'number') return v + 1;
  if (typeof v === 'boolean') return !v;
  if (typeof v === 'string')
    return tweakString(v, pick, /^[0-9a-f]+$/.test(v) ? HEX : 'abcdefghijklmnopqrstuvwxyz');
  return 0;
}

/** Re-MACs `records[from…]` of `stream` in place under `keys`/`keyId`, relinking `prev`. */
function rechain(
  records: LedgerRecord[],
  from: number,
  stream: string,
  keys: NodeMacKeys,
  keyId?: string,
): void {
  let prev: string | undefined;
  for (let i = from; i < records.length; i++) {
    const r = records[i] as LedgerRecord;
    if (r.stream !== stream) continue;
    const content = { ...r, prev: prev ?? r.prev, keyId: keyId ?? r.keyId };
    const rec = { ...content, mac: keys.mac(content.keyId, macMessage(content)) };
    records[i] = rec;
    prev = rec.mac;
  }
}

const isLastOfStream = (records: readonly LedgerRecord[], p: number): boolean =>
  !records.slice(p + 1).some((r) => r.stream === (records[p] as LedgerRecord).stream);

/** Index of the first checkpoint of `stream` after position `p` (its signature covers `records[p]`). */
const coveringCheckpoint = (records: readonly LedgerRecord[], p: number): number | undefined => {
  const s = (records[p] as LedgerRecord).stream;
  const i = records.findIndex((r, j) => j > p && r.stream === s && r.type === 'checkpoint');
  return i < 0 ? undefined : i;
};

/** Original heads by stream (sorted by name), as an anchor held outside the ledger would give them. */
export function headsOf(records: readonly LedgerRecord[]): Record<string, number> {
  const heads: Record<string, number> = {};
  for (const name of [...new Set(records.map((r) => r.stream))].sort()) {
    heads[name] = Math.max(...records.filter((r) => r.stream === name).map((r) => r.seq));
  }
  return heads;
}

type Expected = { ok: true } | { ok: false; index: number; at: string; problem: string };
export const failure = (index: number, r: LedgerRecord | string, problem: string): Expected => ({
  ok: false,
  index,
  at: typeof r === 'string' ? r : atOf(r),
  problem,
});

/** What a tampering did, and what each auditor must say. */
interface Attack {
  readonly records: LedgerRecord[];
  /** The MAC auditors (MAC keys alone, and MAC keys with public keys), exactly; `undefined` = not asserted. */
  readonly mac?: Expected | undefined;
  /** The full auditor (MAC and public keys), exactly, when it differs from `mac`. */
  readonly full?: Expected | undefined;
  /** With `expectedHeads` = the original heads, exactly, for the MAC auditor. */
  readonly anchored?: Expected | undefined;
  /** The public-key auditor must detect it (at or after the first changed position, by `upTo` when given). */
  readonly pubMustDetect: boolean;
  readonly upTo?: number | undefined;
}

export type Tamper = (orig: readonly LedgerRecord[], a: number, b: number) => Attack | undefined;

const FIELD_EDITS = ['body', 'time', 'type', 'prev', 'mac', 'keyId-known', 'keyId-unknown'] as const;

export const tamperings: Record<string, Tamper> = {
  edit(orig, a, b) {
    const p = a % orig.length;
    const r = orig[p] as LedgerRecord;
    const field = FIELD_EDITS[b % FIELD_EDITS.length] as (typeof FIELD_EDITS)[number];
    const records = clone(orig);
    let edited: LedgerRecord;
    switch (field) {
      case 'body':
        edited = { ...r, body: tweakLeaf(r.body, b) };
        break;
      case 'time':
        edited = { ...r, time: tweakString(r.time, b % 4, '0123456789') }; // a digit of the year
        break;
      case 'type':
        edited = {
          ...r,
          type: RECORD_TYPES[(RECORD_TYPES.indexOf(r.type) + 1 + (b % 5)) % RECORD_TYPES.length]!,
        };
        break;
      case 'prev':
      case 'mac':
        edited = { ...r, [field]: tweakString(r[field], b, HEX) };
        break;
      case 'keyId-known':
        edited = { ...r, keyId: r.keyId === 'k1' ? 'k2' : 'k1' };
        break;
      case 'keyId-unknown':
        edited = { ...r, keyId: 'k9' };
        break;
    }
    records[p] = edited;
    const cp = coveringCheckpoint(orig, p);
    return {
      records,
      mac: failure(p, r, field === 'keyId-unknown' ? 'unknown-key' : 'changed'),
      pubMustDetect: cp !== undefined,
      upTo: cp,
    };
  },

  delete(orig, a) {
    const p = a % orig.length;
    const r = orig[p] as LedgerRecord;
    const records = clone(orig);
    records.splice(p, 1);
    if (isLastOfStream(orig, p)) {
      // Cutting a stream's last record is truncation: only an anchor shows it.
      return {
        records,
        mac: { ok: true },
        anchored: failure(records.length, atOf(r), 'truncated'),
        pubMustDetect: false,
      };
    }
    const q = orig.findIndex((x, j) => j > p && x.stream === r.stream);
    const e = failure(q - 1, orig[q] as LedgerRecord, 'missing');
    return { records, mac: e, anchored: e, pubMustDetect: true };
  },

  swap(orig, a, b) {
    const p = a % orig.length;
    const r = orig[p] as LedgerRecord;
    const later = orig.flatMap((x, j) => (j > p && x.stream === r.stream ? [j] : []));
    if (later.length === 0) return undefined;
    const q = later[b % later.length] as number;
    const records = clone(orig);
    [records[p], records[q]] = [records[q] as LedgerRecord, records[p] as LedgerRecord];
    const e = failure(p, orig[q] as LedgerRecord, 'reordered');
    return { records, mac: e, anchored: e, pubMustDetect: true };
  },

  duplicate(orig, a, b) {
    const p = a % orig.length;
    const r = orig[p] as LedgerRecord;
    const q = p + 1 + (b % (orig.length - p)); // insert the copy at q, after the original
    const records = clone(orig);
    records.splice(q, 0, clone([r])[0] as LedgerRecord);
    const lastSeqBefore = Math.max(
      ...orig
        .slice(0, q)
        .filter((x) => x.stream === r.stream)
        .map((x) => x.seq),
    );
    const e = failure(q, r, lastSeqBefore === r.seq ? 'duplicated' : 'reordered');
    return { records, mac: e, anchored: e, pubMustDetect: true };
  },

  truncate(orig, a) {
    const k = 1 + (a % orig.length);
    const records = clone(orig).slice(0, orig.length - k);
    const before = headsOf(orig);
    const after = headsOf(records);
    const cut = Object.keys(before).find((s) => (after[s] ?? 0) < (before[s] as number)) as string;
    return {
      records,
      mac: { ok: true },
      anchored: failure(records.length, `${cut}/${(after[cut] ?? 0) + 1}`, 'truncated'),
      pubMustDetect: false,
    };
  },

  replaceSignature(orig, a, b) {
    const cps = orig.flatMap((r, j) => (r.type === 'checkpoint' ? [j] : []));
    if (cps.length === 0) return undefined;
    const p = cps[a % cps.length] as number;
    const r = orig[p] as LedgerRecord;
    const body = r.body as Record<string, JsonValue>;
    // A well-formed signature that is not this checkpoint's: another checkpoint's, or one over other text.
    const other = orig[cps[b % cps.length] as number] as LedgerRecord;
    let signature = (other.body as Record<string, JsonValue>).signature as string;
    if (signature === body.signature) signature = newSigner.sign('s2', `not a checkpoint ${b}`);
    const records = clone(orig);
    records[p] = { ...r, body: { ...body, signature } };
    return { records, mac: failure(p, r, 'changed'), pubMustDetect: true, upTo: p };
  },

  rechainWrongKey(orig, a, b) {
    const p = a % orig.length;
    const r = orig[p] as LedgerRecord;
    const records = clone(orig);
    records[p] = { ...r, body: tweakLeaf(r.body, b) };
    const unknown = b % 2 === 0;
    // Same key ids with the attacker's key material, or the attacker's own key id.
    const wrong = unknown
      ? new NodeMacKeys({ 'k-evil': EVIL }, 'k-evil')
      : new NodeMacKeys({ k1: EVIL, k2: EVIL }, 'k2');
    rechain(records, p, r.stream, wrong, unknown ? 'k-evil' : undefined);
    const cp = coveringCheckpoint(orig, p);
    return {
      records,
      mac: failure(p, r, unknown ? 'unknown-key' : 'changed'),
      pubMustDetect: cp !== undefined,
      upTo: cp,
    };
  },

  forgeAppend(orig, a, b) {
    const r = orig[a % orig.length] as LedgerRecord;
    const lastIdx = orig.findLastIndex((x) => x.stream === r.stream);
    const last = orig[lastIdx] as LedgerRecord;
    const pos = lastIdx + 1 + (b % (orig.length - lastIdx));
    const evil = new NodeMacKeys({ 'k-evil': EVIL }, 'k-evil');
    const forged = new Chain(evil, nodeHasher, {
      stream: r.stream,
      seq: last.seq,
      mac: last.mac,
      hash: '0'.repeat(64),
    }).append('action.completed', { forged: true }, last.time);
    const records = clone(orig);
    records.splice(pos, 0, forged);
    return { records, mac: failure(pos, forged, 'unknown-key'), pubMustDetect: false };
  },

  // An insider holding the HMAC key rewrites a record and re-MACs the rest of its stream.
  insider(orig, a, b) {
    const p = a % orig.length;
    const r = orig[p] as LedgerRecord;
    const records = clone(orig);
    const isCp = r.type === 'checkpoint';
    const body = r.body as Record<string, JsonValue>;
    records[p] = isCp
      ? { ...r, body: { ...body, signature: newSigner.sign('s2', `forged ${b}`) } }
      : { ...r, body: tweakLeaf(r.body, b) };
    rechain(records, p, r.stream, newMac);
    const cp = coveringCheckpoint(orig, p);
    const fullExpected: Expected = isCp
      ? failure(p, r, 'bad-checkpoint-signature')
      : cp !== undefined
        ? failure(cp, orig[cp] as LedgerRecord, 'forged-chain')
        : { ok: true };
    return { records, full: fullExpected, pubMustDetect: isCp || cp !== undefined, upTo: isCp ? p : cp };
  },

  // An insider appends a checkpoint signed with a key no auditor trusts.
  forgeCheckpoint(orig, a, b) {
    const r = orig[a % orig.length] as LedgerRecord;
    const lastIdx = orig.findLastIndex((x) => x.stream === r.stream);
    const pos = lastIdx + 1 + (b % (orig.length - lastIdx));
    const good = verifyLedger(orig.slice(0, lastIdx + 1), { hasher: nodeHasher });
    if (!good.ok) throw new Error('setup: the original ledger does not verify');
    const s = good.streams[r.stream]!;
    const chain = new Chain(newMac, nodeHasher, {
      stream: r.stream,
      seq: s.lastSeq,
      mac: s.lastMac,
      hash: s.lastHash,
    });
    const forged = appendCheckpoint(chain, evilSigner, timeAt(99));
    const records = clone(orig);
    records.splice(pos, 0, forged);
    return {
      records,
      mac: { ok: true },
      full: failure(pos, forged, 'unknown-key'),
      pubMustDetect: true,
      upTo: pos,
    };
  },
};

export function firstDiff(a: readonly LedgerRecord[], b: readonly LedgerRecord[]): number {
  let i = 0;
  while (i < a.length && i < b.length && JSON.stringify(a[i]) === JSON.stringify(b[i])) i++;
  return i;
}

export const brief = (r: VerifyResult): Expected =>
  r.ok ? { ok: true } : { ok: false, index: r.index, at: r.at, problem: r.problem };
