/**
 * Executors the kernel holds (DESIGN §3 step 7): an allowed action whose name matches an executor's globs
 * is run by the kernel, which alone holds the executor's credentials; any other allowed action is in
 * *report mode* (the agent runs the tool and reports the outcome, recorded as advisory).
 */
import type { JsonValue } from '../kernel/ledger/record.js';
import { compileActionGlob, type GlobTest } from '../kernel/policy/glob.js';
import type { ActionRequest } from '../kernel/types.js';

/** One allowed action handed to an executor. */
export interface ActionCall {
  /** The action id (`act_…`): the same call is never made twice for one id. */
  readonly id: string;
  readonly request: ActionRequest;
  /** The decision that allowed it, as recorded; executors honour its `constraints` (`read_only`, …). */
  readonly decision: JsonValue;
}

/** Runs allowed actions of some kind; rejects with `AOS_EXECUTOR_FAILED` (or another code) when one fails. */
export interface ActionExecutor {
  /** Names the executor in records (`executor: http:<name>`) and views. */
  readonly name: string;
  run(call: ActionCall): Promise<JsonValue>;
}

/** Which executor runs which actions: the first whose globs match. */
export class ExecutorTable {
  private readonly entries: readonly { readonly executor: ActionExecutor; readonly tests: GlobTest[] }[];

  constructor(
    entries: readonly { readonly executor: ActionExecutor; readonly actions: readonly string[] }[],
  ) {
    this.entries = entries.map((e) => ({ executor: e.executor, tests: e.actions.map(compileActionGlob) }));
  }

  /** The executor for an action name, or undefined (report mode). */
  for(action: string): ActionExecutor | undefined {
    return this.entries.find((e) => e.tests.some((t) => t(action)))?.executor;
  }
}
