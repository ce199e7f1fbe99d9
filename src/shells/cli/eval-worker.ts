/**
 * A worker thread of `agentos policy eval --jobs N`: loads its own engine (the kernel is single-threaded
 * and immutable, so each thread has one), then decides the blocks of lines the main thread sends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadEngine } from '../../governor/policy-workspace.js';
import { isAgentOsError } from '../../kernel/errors.js';
import { offlinePorts } from '../../root.js';
import { decideLines } from './eval-stream.js';

/** What the main thread hands a worker. */
export interface EvalWorkerData {
  readonly org: string;
  readonly policies: readonly string[];
  readonly name: string;
}

/** A block of complete lines to decide. */
export interface EvalBlock {
  readonly seq: number;
  readonly text: string;
  readonly firstLine: number;
}

const port = parentPort;
if (port) {
  const data = workerData as EvalWorkerData;
  try {
    const engine = await loadEngine(offlinePorts(), data.org, data.policies);
    port.on('message', (block: EvalBlock) => {
      port.postMessage({ seq: block.seq, ...decideLines(engine, block.text, block.firstLine, data.name) });
    });
    port.postMessage({ ready: true });
  } catch (e) {
    // a bad org or policy: hand the coded error to the main thread, which reports it as the serial path would
    if (!isAgentOsError(e)) throw e;
    port.postMessage({ failed: { code: e.code, message: e.message, problems: e.problems } });
  }
}
