/**
 * Reading actions back out of the ledger: the records of one action, and the steps of one episode
 * (DESIGN §8). Records are matched on the fields every action record carries (`action`, `agent`,
 * `episode`; src/kernel/ledger/bodies.ts).
 */
import { AgentOsError } from '../kernel/errors.js';
import type { JsonValue, LedgerRecord } from '../kernel/ledger/record.js';
import type { LedgerStore } from './store.js';

type Obj = { readonly [k: string]: JsonValue };

/** A record's body as an object (empty for any other JSON value). */
export function bodyOf(r: LedgerRecord): Obj {
  const b = r.body;
  return b !== null && typeof b === 'object' && !Array.isArray(b) ? (b as Obj) : {};
}

const str = (v: JsonValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

/** `<stream>/<seq>`: how records are named everywhere (verify, explain, episodes). */
export const recordName = (r: LedgerRecord): string => `${r.stream}/${r.seq}`;

/** Parses `<stream>/<seq>`; undefined when `ref` is not of that form. */
export function parseRecordName(ref: string): { stream: string; seq: number } | undefined {
  const slash = ref.lastIndexOf('/');
  if (slash <= 0) return undefined;
  const seq = Number(ref.slice(slash + 1));
  if (!Number.isSafeInteger(seq) || seq < 1 || !/^\d+$/.test(ref.slice(slash + 1))) return undefined;
  return { stream: ref.slice(0, slash), seq };
}

/** Every record of one action, found from its id alone or from one of its records. */
export interface ActionRecords {
  readonly id: string;
  readonly agent: string;
  readonly requested?: LedgerRecord;
  readonly decided?: LedgerRecord;
  /** Everything else about the action (outcome, approvals), in stream order. */
  readonly others: readonly LedgerRecord[];
}

/** How far before an `action.decided` record its `action.requested` is looked for first. */
const NEAR = 16;

/**
 * The records of the action a reference names: `<stream>/<seq>` of any of its records, or its action id
 * (`act_…`, found by a scan of the `action.decided` records). `AOS_NOT_FOUND` when there is no such record
 * or it is not about an action.
 */
export async function findAction(ledger: LedgerStore, ref: string): Promise<ActionRecords> {
  const named = parseRecordName(ref);
  let anchor: LedgerRecord | undefined;
  if (named) {
    for await (const r of ledger.read({ stream: named.stream, fromSeq: named.seq, limit: 1 })) {
      if (r.seq === named.seq) anchor = r;
    }
    if (!anchor) throw new AgentOsError('AOS_NOT_FOUND', `no ledger record \`${ref}\``);
  } else {
    for await (const r of ledger.read({ type: 'action.decided' })) {
      if (bodyOf(r).action === ref && bodyOf(r).mode !== 'shadow') {
        anchor = r;
        break;
      }
    }
    if (!anchor) throw new AgentOsError('AOS_NOT_FOUND', `no action \`${ref}\` in the ledger`);
  }
  const body = bodyOf(anchor);
  const id = str(body.action);
  const agent = str(body.agent);
  if (!id || !agent || !anchor.type.startsWith('action.')) {
    throw new AgentOsError(
      'AOS_NOT_FOUND',
      `\`${recordName(anchor)}\` is a \`${anchor.type}\` record, not a record of an action`,
    );
  }
  // The intent records of one action are appended back to back in one stream; look near the anchor
  // first, then through the agent's whole stream.
  const found = await collect(ledger, id, anchor.stream, agent, Math.max(1, anchor.seq - NEAR));
  const all = found.requested ? found : await collect(ledger, id, anchor.stream, agent, 1);
  return { id, agent, ...all };
}

async function collect(
  ledger: LedgerStore,
  id: string,
  stream: string,
  agent: string,
  fromSeq: number,
): Promise<Omit<ActionRecords, 'id' | 'agent'>> {
  let requested: LedgerRecord | undefined;
  let decided: LedgerRecord | undefined;
  const others: LedgerRecord[] = [];
  for await (const r of ledger.read({ stream, agent, fromSeq })) {
    if (bodyOf(r).action !== id) continue;
    if (r.type === 'action.requested') requested = r;
    // A shadow decision (policy apply --shadow) is what would have been decided; it stays among the others.
    else if (r.type === 'action.decided' && bodyOf(r).mode !== 'shadow') decided = r;
    else others.push(r);
  }
  return { ...(requested ? { requested } : {}), ...(decided ? { decided } : {}), others };
}

/** One action of an episode, as the ledger tells it. */
export interface EpisodeStep {
  readonly action: string;
  readonly agent: string;
  readonly time: string;
  /** The request's action name and resource, when its `action.requested` record was found. */
  readonly name?: string;
  readonly resource?: string;
  readonly effect?: string;
  readonly risk?: string;
  readonly rules: readonly string[];
  readonly reason?: string;
  /** `executed`, `failed`, or the decision's status when nothing ran (yet). */
  readonly status: string;
  readonly outcome?: JsonValue;
  readonly error?: JsonValue;
  /** The step's records, `<stream>/<seq>`, in the order they were read. */
  readonly records: readonly string[];
}

/** The steps of one episode in order (by the time of each action's first record). */
export async function readEpisode(ledger: LedgerStore, episode: string): Promise<EpisodeStep[]> {
  const byAction = new Map<string, LedgerRecord[]>();
  for await (const r of ledger.read({ episode })) {
    const id = str(bodyOf(r).action);
    if (id === undefined) continue;
    const list = byAction.get(id);
    if (list) list.push(r);
    else byAction.set(id, [r]);
  }
  if (byAction.size === 0) throw new AgentOsError('AOS_NOT_FOUND', `no records of episode \`${episode}\``);
  const steps = [...byAction.entries()].map(([id, records]) => stepOf(id, records));
  return steps.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

function stepOf(id: string, records: readonly LedgerRecord[]): EpisodeStep {
  let step: Record<string, unknown> = { action: id, agent: '', time: records[0]?.time ?? '', rules: [] };
  let status = 'requested';
  for (const r of records) {
    const b = bodyOf(r);
    step.agent = str(b.agent) ?? step.agent;
    if (r.time < (step.time as string)) step.time = r.time;
    if (r.type === 'action.requested') {
      const req = b.request as Obj | undefined;
      step = { ...step, name: str(req?.action), resource: str(req?.resource) };
    } else if (r.type === 'action.decided' && b.mode !== 'shadow') {
      const d = (b.decision ?? {}) as Obj;
      const rules = Array.isArray(d.rules) ? d.rules.filter((x): x is string => typeof x === 'string') : [];
      step = { ...step, effect: str(b.effect), risk: str(b.risk), rules, reason: str(d.reason) };
      if (status === 'requested') {
        status = b.effect === 'allow' ? 'allowed' : b.effect === 'deny' ? 'denied' : 'pending_approval';
      }
    } else if (r.type === 'action.completed') {
      step.outcome = b.outcome;
      status = 'executed';
    } else if (r.type === 'action.failed') {
      step.error = b.error;
      status = 'failed';
    }
  }
  const clean = Object.fromEntries(Object.entries(step).filter(([, v]) => v !== undefined));
  return { ...clean, status, records: records.map(recordName) } as unknown as EpisodeStep;
}
