/**
 * What governs a node: the org and the policy set in force, each a stored version recorded in the ledger
 * (`org.changed`, `policy.changed`), so any past decision can be re-explained under exactly the org and
 * policies in force when it was made (DESIGN §5, docs/audit.md).
 *
 * A version's content is a canonical JSON document holding the source texts and the names they were
 * loaded under, so re-explaining reports problems at the same places as the original load did.
 */
import { AgentOsError } from '../kernel/errors.js';
import type { VersionChangedBody } from '../kernel/ledger/bodies.js';
import { canonicalJson } from '../kernel/ledger/canonical.js';
import type { JsonValue } from '../kernel/ledger/record.js';
import { parseOrg } from '../kernel/org/load.js';
import type { Org } from '../kernel/org/model.js';
import { compilePolicies, type PolicySet, type PolicySource } from '../kernel/policy/compile.js';
import { PolicyEngine } from '../kernel/policy/engine.js';
import type { Clock, Hasher, IdSource } from '../kernel/ports.js';
import type { VersionKind, VersionStore } from './store.js';

/** A version in force: its number and content hash. */
export interface VersionRef {
  readonly version: number;
  readonly hash: string;
}

/** The org and policies in force, compiled, with the versions they were stored as. */
export interface Governance {
  readonly engine: PolicyEngine;
  readonly org: VersionRef;
  readonly policy: VersionRef;
  /**
   * A policy set tried in *shadow* mode (`policy apply --shadow`): every action is decided under it too,
   * and where it would have decided otherwise that is recorded (`action.decided`, `mode: shadow`), never
   * enforced. `hash` is the SHA-256 of its content, as its `policy.shadowed` record names it.
   */
  readonly shadow?: { readonly engine: PolicyEngine; readonly hash: string } | undefined;
}

/** The sources to put in force: the org file's text and every policy file's text. */
export interface GovernanceSources {
  readonly org: { readonly file: string; readonly text: string };
  readonly policies: readonly PolicySource[];
}

/** Appends one record durably (the node's `LedgerWriter`). */
export interface RecordAppender {
  append(type: 'org.changed' | 'policy.changed' | 'policy.shadowed', body: JsonValue): Promise<unknown>;
}

/** What `applyGovernance` needs. */
export interface GovernanceDeps {
  readonly versions: VersionStore;
  readonly ledger: RecordAppender;
  readonly hasher: Hasher;
  readonly clock: Clock;
  readonly ids: IdSource;
}

/** The content stored for an org version. */
export function orgContent(file: string, text: string): string {
  return canonicalJson({ format: 'agentos.org.v1', file, text });
}

/** The content stored for a policy version: the files sorted by name, so the same set hashes the same. */
export function policyContent(sources: readonly PolicySource[]): string {
  const files = [...sources]
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
    .map((s) => ({ file: s.file, text: s.text }));
  return canonicalJson({ format: 'agentos.policy.v1', files });
}

function parseContent(kind: VersionKind, version: number, content: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(content);
  } catch (e) {
    throw new AgentOsError('AOS_STORE_CORRUPT', `stored ${kind} version ${version} is not JSON`, {
      cause: e,
    });
  }
  const expected = kind === 'org' ? 'agentos.org.v1' : 'agentos.policy.v1';
  if (doc === null || typeof doc !== 'object' || (doc as { format?: unknown }).format !== expected) {
    throw new AgentOsError('AOS_STORE_CORRUPT', `stored ${kind} version ${version} is not \`${expected}\``);
  }
  return doc as Record<string, unknown>;
}

/** The org of a stored org version's content. */
export function orgFromContent(version: number, content: string): Org {
  const doc = parseContent('org', version, content);
  if (typeof doc.file !== 'string' || typeof doc.text !== 'string') {
    throw new AgentOsError('AOS_STORE_CORRUPT', `stored org version ${version} lacks its file or text`);
  }
  return parseOrg(doc.text, doc.file);
}

/** The policy set of a stored policy version's content. */
export function policiesFromContent(version: number, content: string): PolicySet {
  const doc = parseContent('policy', version, content);
  const files = doc.files;
  if (!Array.isArray(files) || !files.every(isSource)) {
    throw new AgentOsError('AOS_STORE_CORRUPT', `stored policy version ${version} lacks its files`);
  }
  return compilePolicies(files);
}

function isSource(v: unknown): v is PolicySource {
  const s = v as { file?: unknown; text?: unknown };
  return v !== null && typeof v === 'object' && typeof s.file === 'string' && typeof s.text === 'string';
}

/**
 * Puts sources in force: compiles them (invalid sources throw and change nothing), and for the org and the
 * policy set whose content differs from the newest stored version, records `org.changed` /
 * `policy.changed` and then stores the new version. Unchanged content keeps its version and writes nothing.
 *
 * INVARIANT: the record is durable before the version is stored, so no version is ever in force unrecorded.
 * If storing fails after the record, the record names a version that is not stored; the next apply records
 * the same version number and hash again and stores it, so the pair heals (explain reads the store).
 */
export async function applyGovernance(deps: GovernanceDeps, sources: GovernanceSources): Promise<Governance> {
  const org = parseOrg(sources.org.text, sources.org.file);
  const policies = compilePolicies(sources.policies);
  const orgRef = await bringInForce(deps, 'org', orgContent(sources.org.file, sources.org.text), [
    sources.org.file,
  ]);
  const policyRef = await bringInForce(
    deps,
    'policy',
    policyContent(sources.policies),
    sources.policies.map((s) => s.file),
  );
  return { engine: new PolicyEngine(policies, org, { ids: deps.ids }), org: orgRef, policy: policyRef };
}

async function bringInForce(
  deps: GovernanceDeps,
  kind: VersionKind,
  content: string,
  files: readonly string[],
): Promise<VersionRef> {
  const hash = deps.hasher.sha256(content);
  const latest = await deps.versions.latest(kind);
  if (latest?.hash === hash) return { version: latest.version, hash };
  const version = (latest?.version ?? 0) + 1;
  const body: VersionChangedBody = {
    version,
    hash,
    ...(latest ? { previous: { version: latest.version, hash: latest.hash } } : {}),
    files: [...files],
  };
  await deps.ledger.append(kind === 'org' ? 'org.changed' : 'policy.changed', body as unknown as JsonValue);
  const stored = await deps.versions.put({
    kind,
    content,
    time: new Date(deps.clock.now()).toISOString(),
  });
  if (stored.version !== version) {
    throw new AgentOsError(
      'AOS_STORE_CONFLICT',
      `another node stored ${kind} version ${version} first; apply again to record the change`,
    );
  }
  return { version, hash };
}
