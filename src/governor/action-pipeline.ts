/**
 * The action pipeline (DESIGN §3): contract → classify → decide (the policy engine does these three in one
 * call) → record intent → execute → record outcome. Authentication and approval routing are the daemon's;
 * this is the part every mediation surface shares.
 *
 * INVARIANT: no record, no action. An action is `allowed` only once its `action.requested` and
 * `action.decided` records are durable; when the ledger cannot append, the action is denied with the rule
 * `ledger.unavailable` and the reason the store gave, and nothing runs.
 */
import type {
  ActionCompletedBody,
  ActionDecidedBody,
  ActionFailedBody,
  ActionRequestedBody,
} from '../kernel/ledger/bodies.js';
import { decisionJson } from '../kernel/ledger/bodies.js';
import { canonicalJson } from '../kernel/ledger/canonical.js';
import { AgentOsError, isAgentOsError } from '../kernel/errors.js';
import type { JsonValue, LedgerRecord, RecordType } from '../kernel/ledger/record.js';
import type { Clock, Hasher, IdSource } from '../kernel/ports.js';
import { parseActionRequest } from '../kernel/policy/request.js';
import type { ActionRequest, Decision } from '../kernel/types.js';
import type { Governance } from './governance.js';

/** Appends one record and resolves once it is durable (the node's `LedgerWriter`). */
export interface DurableAppender {
  append(type: RecordType, body: JsonValue): Promise<LedgerRecord>;
}

/** What the pipeline needs. */
export interface PipelineDeps {
  readonly ledger: DurableAppender;
  readonly ids: IdSource;
  readonly clock: Clock;
  readonly hasher: Hasher;
  /** The org and policies in force right now (re-read on every action, so changes apply at once). */
  readonly governance: () => Governance;
}

/** Where an admitted action stands. */
export type AdmissionStatus = 'allowed' | 'denied' | 'pending_approval';

/** An action after its intent was decided (and, unless the ledger failed, recorded). */
export interface Admission {
  /** The action id (`act_…`). */
  readonly id: string;
  readonly request: ActionRequest;
  readonly decision: Decision;
  readonly status: AdmissionStatus;
  /** The intent records, as `<stream>/<seq>`; absent when the ledger could not record them. */
  readonly records?: { readonly requested: string; readonly decided: string };
}

/** Options of `admit`. */
export interface AdmitOptions {
  /** The action id to use (an action admitted after being held keeps its id); a new `act_…` otherwise. */
  readonly id?: string;
  /**
   * Completes the policy's decision before it is recorded, e.g. by routing an approval to the people who
   * will be asked (or denying it when no one can approve). Must be synchronous: nothing may run between
   * deciding and recording.
   */
  readonly finalize?: (request: ActionRequest, decision: Decision, governance: Governance) => Decision;
}

/** What an executor returns, or throws as an error with a code. */
export type Executor = (request: ActionRequest, decision: Decision) => Promise<JsonValue>;

/** The end of an action that ran (or was refused). */
export interface ActionResult extends Omit<Admission, 'status'> {
  readonly status: AdmissionStatus | 'executed' | 'failed';
  readonly outcome?: JsonValue;
  readonly error?: { readonly code: string; readonly message: string };
}

const at = (r: LedgerRecord): string => `${r.stream}/${r.seq}`;

/** Runs actions through the kernel and records every step. */
export class ActionPipeline {
  constructor(private readonly deps: PipelineDeps) {}

  /**
   * Decides a request and records its intent. Resolves (never rejects for a policy or ledger outcome) with
   * `allowed` only when the intent is durable. Rejects with `AOS_REQUEST_INVALID` for a malformed request.
   */
  async admit(input: unknown, options: AdmitOptions = {}): Promise<Admission> {
    const request = parseActionRequest(input);
    let requestJson: string;
    try {
      requestJson = canonicalJson(request);
    } catch (e) {
      throw new AgentOsError('AOS_REQUEST_INVALID', 'the request is not plain JSON', { cause: e });
    }
    const { ids, hasher, ledger } = this.deps;
    const governance = this.deps.governance();
    const id = options.id ?? ids.next('act');
    const ref = {
      action: id,
      agent: request.agent,
      ...(request.episode ? { episode: request.episode } : {}),
    };
    const requested: ActionRequestedBody = {
      ...ref,
      request: JSON.parse(requestJson) as JsonValue,
      requestHash: hasher.sha256(requestJson),
    };
    // Both appends are queued before either is awaited, so they usually share one durable batch.
    const requestedRecord = ledger.append('action.requested', requested as unknown as JsonValue);
    const policyDecision = governance.engine.decide(request);
    const decision = options.finalize
      ? options.finalize(request, policyDecision, governance)
      : policyDecision;
    const decided: ActionDecidedBody = {
      ...ref,
      effect: decision.effect,
      risk: decision.risk,
      decision: decisionJson(decision),
      versions: { org: governance.org.version, policy: governance.policy.version },
      mode: 'enforce',
    };
    const decidedRecord = ledger.append('action.decided', decided as unknown as JsonValue);
    const shadowRecord = this.shadow(governance, request, policyDecision, decided);
    // A shadow record that cannot be written blocks nothing: shadow mode never changes an outcome; the
    // enforced records decide whether the action may run.
    const [r1, r2] = await Promise.allSettled([requestedRecord, decidedRecord, shadowRecord]);
    if (r1.status === 'rejected' || r2.status === 'rejected') {
      const cause: unknown = r1.status === 'rejected' ? r1.reason : (r2 as PromiseRejectedResult).reason;
      return { id, request, decision: this.ledgerDenial(decision, cause), status: 'denied' };
    }
    return {
      id,
      request,
      decision,
      status: statusOf(decision),
      records: { requested: at(r1.value), decided: at(r2.value) },
    };
  }

  /** Decides under the shadow policy set, if any, and records the decision where it differs. */
  private shadow(
    governance: Governance,
    request: ActionRequest,
    enforced: Decision,
    decided: ActionDecidedBody,
  ): Promise<LedgerRecord | undefined> {
    if (!governance.shadow) return Promise.resolve(undefined);
    const would = governance.shadow.engine.decide(request);
    if (would.effect === enforced.effect) return Promise.resolve(undefined);
    const body: ActionDecidedBody = {
      ...decided,
      effect: would.effect,
      risk: would.risk,
      decision: decisionJson(would),
      mode: 'shadow',
      shadow: governance.shadow.hash,
    };
    return this.deps.ledger.append('action.decided', body as unknown as JsonValue);
  }

  /**
   * Records the outcome of an allowed action. Rejects with the ledger's code when it cannot be recorded
   * (the action already ran; the caller reports that the outcome is unrecorded).
   */
  async complete(
    admission: Admission,
    executor: string,
    outcome: JsonValue,
    durationMs: number,
  ): Promise<LedgerRecord> {
    const body: ActionCompletedBody = { ...refOf(admission), executor, outcome, durationMs };
    return this.deps.ledger.append('action.completed', body as unknown as JsonValue);
  }

  /** Records the failure of an allowed action. Rejects with the ledger's code when it cannot be recorded. */
  async fail(
    admission: Admission,
    executor: string,
    error: { code: string; message: string },
    durationMs: number,
  ): Promise<LedgerRecord> {
    const body: ActionFailedBody = { ...refOf(admission), executor, error, durationMs };
    return this.deps.ledger.append('action.failed', body as unknown as JsonValue);
  }

  /**
   * The whole pipeline for an action whose executor the kernel holds: admit, and when allowed run
   * `executor` and record its outcome. Approval waits are the daemon's; a `pending_approval` admission
   * is returned as it is.
   */
  async run(
    input: unknown,
    executorName: string,
    executor: Executor,
    options: AdmitOptions = {},
  ): Promise<ActionResult> {
    const admission = await this.admit(input, options);
    if (admission.status !== 'allowed') return admission;
    const started = this.deps.clock.now();
    let outcome: JsonValue;
    try {
      outcome = await executor(admission.request, admission.decision);
    } catch (e) {
      const error = {
        code: isAgentOsError(e) ? e.code : 'AOS_EXECUTOR_FAILED',
        message: e instanceof Error ? e.message : String(e),
      };
      await this.recorded(
        admission,
        this.fail(admission, executorName, error, this.deps.clock.now() - started),
      );
      return { ...admission, status: 'failed', error };
    }
    await this.recorded(
      admission,
      this.complete(admission, executorName, outcome, this.deps.clock.now() - started),
    );
    return { ...admission, status: 'executed', outcome };
  }

  /** Waits for an outcome record; when it fails, says that the action ran but is unrecorded. */
  private async recorded(admission: Admission, append: Promise<LedgerRecord>): Promise<void> {
    try {
      await append;
    } catch (e) {
      throw new AgentOsError(
        isAgentOsError(e) ? e.code : 'AOS_LEDGER_UNAVAILABLE',
        `action \`${admission.id}\` ran, but its outcome could not be recorded: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      );
    }
  }

  private ledgerDenial(decision: Decision, cause: unknown): Decision {
    const why = cause instanceof Error ? cause.message : String(cause);
    const code = isAgentOsError(cause) ? cause.code : 'AOS_LEDGER_UNAVAILABLE';
    return {
      effect: 'deny',
      rules: ['ledger.unavailable'],
      reason: `the ledger cannot record this action, so it does not run: ${why} [${code}]`,
      risk: decision.risk,
      constraints: [],
      approvers: [],
      decisionId: decision.decisionId,
    };
  }
}

function statusOf(d: Decision): AdmissionStatus {
  return d.effect === 'allow' ? 'allowed' : d.effect === 'deny' ? 'denied' : 'pending_approval';
}

function refOf(a: Admission): { action: string; agent: string; episode?: string } {
  return {
    action: a.id,
    agent: a.request.agent,
    ...(a.request.episode ? { episode: a.request.episode } : {}),
  };
}
