/** The API's shapes as the console reads them (docs/api.md); only the fields it shows. */

/** `GET /v1/me`. */
export interface Me {
  readonly kind: 'person' | 'agent';
  readonly id: string;
  readonly role?: string;
  readonly name?: string;
  readonly department?: string;
  readonly permissions: readonly string[];
}

/** An ActionRequest. */
export interface ActionRequest {
  readonly agent: string;
  readonly action: string;
  readonly resource?: string;
  readonly args?: Record<string, unknown>;
  readonly episode?: string;
  readonly context?: Record<string, unknown>;
}

/** A Decision. */
export interface Decision {
  readonly effect: string;
  readonly rules: readonly string[];
  readonly reason: string;
  readonly risk: string;
  readonly constraints?: readonly string[];
  readonly approvers?: readonly string[];
}

/** An approval (`GET /v1/approvals/:id`). */
export interface Approval {
  readonly id: string;
  readonly action: string;
  readonly agent: string;
  readonly status: string;
  readonly approvers: readonly string[];
  readonly level: number;
  readonly levels: number;
  readonly quorum?: number;
  readonly expiresAt: string;
  readonly request?: ActionRequest;
  readonly decision?: Decision;
  readonly votes: readonly {
    readonly person: string;
    readonly verdict: string;
    readonly level: number;
    readonly time: string;
    readonly comment?: string;
  }[];
}

/** A standing signal. */
export interface StandingSignal {
  readonly scope: string;
  readonly target: string;
  readonly signal: string;
  readonly by: string;
  readonly time: string;
  readonly reason?: string;
}

/** A policy document reference. */
export interface DocumentRef {
  readonly name: string;
  readonly file: string;
  readonly scope: string;
}

/** An agent (`GET /v1/agents`). */
export interface Agent {
  readonly id: string;
  readonly description?: string;
  readonly owner: string;
  readonly department: string;
  readonly role?: string;
  readonly autonomy: number;
  readonly riskCeiling: string;
  readonly state: 'active' | 'stopped' | 'suspended' | 'killed';
  readonly reason?: string;
  readonly signal?: StandingSignal;
  readonly policies?: readonly DocumentRef[];
}

/** `GET /v1/org`. */
export interface OrgView {
  readonly name: string;
  readonly description?: string;
  readonly version: number;
  readonly policy: number;
  readonly departments: readonly {
    readonly id: string;
    readonly name: string;
    readonly parent?: string;
    readonly description?: string;
    readonly approvers: readonly string[];
    readonly effectiveApprovers: readonly string[];
    readonly policies: readonly DocumentRef[];
  }[];
  readonly people: readonly {
    readonly id: string;
    readonly name: string;
    readonly department?: string;
    readonly manager?: string;
    readonly roles: readonly string[];
    readonly active: boolean;
  }[];
  readonly agents: readonly Agent[];
}

/** A ledger record. */
export interface LedgerRecord {
  readonly stream: string;
  readonly seq: number;
  readonly time: string;
  readonly type: string;
  readonly body: Record<string, unknown>;
  readonly prev: string;
  readonly keyId: string;
  readonly mac: string;
}

/** `GET /v1/ledger/verify`. */
export type VerifyResult =
  | {
      readonly ok: true;
      readonly records: number;
      readonly checkpoints: number;
      readonly uncovered: number;
      readonly checked: { readonly macs: boolean; readonly signatures: boolean };
    }
  | { readonly ok: false; readonly at: string; readonly problem: string; readonly message: string };

/** One rule's trace in an explanation. */
export interface RuleTrace {
  readonly rule: string;
  readonly effect: string;
  readonly place: { readonly file: string; readonly line: number; readonly col: number };
  readonly outcome: string;
  readonly why: string;
}

/** `POST /v1/explain`. */
export interface ExplainView {
  readonly explanation: {
    readonly contract: { readonly ok: boolean; readonly rule?: string; readonly reason?: string };
    readonly classification: { readonly facts: unknown; readonly risk?: string; readonly resource: string };
    readonly risk: string;
    readonly documents: readonly {
      readonly name: string;
      readonly file: string;
      readonly scope: string;
      readonly inScope: boolean;
    }[];
    readonly riskRules: readonly RuleTrace[];
    readonly rules: readonly RuleTrace[];
    readonly decision: Decision;
  };
  readonly route?: {
    readonly levels: readonly { readonly approvers: readonly string[]; readonly quorum: number }[];
  };
  readonly versions: { readonly org: number; readonly policy: number };
}
