/**
 * HTTP executors (issue 4 §3): the kernel POSTs an allowed action to a configured URL with headers only
 * the daemon holds (`${env:NAME}` is read from its environment at start), and the 2xx JSON answer is the
 * outcome. docs/executors.md describes the protocol.
 */
import type { HttpExecutorConfig } from '../governor/config.js';
import type { ActionCall, ActionExecutor } from '../governor/executors.js';
import { AgentOsError } from '../kernel/errors.js';
import type { JsonValue } from '../kernel/ledger/record.js';
import { parseDuration } from '../kernel/policy/duration.js';
import { expandHeaders } from './env-refs.js';

/** The largest answer an executor may give (bytes). */
const MAX_ANSWER = 1024 * 1024;

function failed(c: HttpExecutorConfig, why: string, cause?: unknown): AgentOsError {
  return new AgentOsError('AOS_EXECUTOR_FAILED', `executor \`${c.name}\` ${why}`, { cause });
}

/** Reads at most `MAX_ANSWER` bytes of an answer. */
async function readAnswer(c: HttpExecutorConfig, res: Response): Promise<string> {
  const length = Number(res.headers.get('content-length') ?? 0);
  if (length > MAX_ANSWER) throw failed(c, `answered with ${length} bytes, more than ${MAX_ANSWER}`);
  const chunks: Buffer[] = [];
  let size = 0;
  if (res.body) {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > MAX_ANSWER) throw failed(c, `answered with more than ${MAX_ANSWER} bytes`);
      chunks.push(Buffer.from(chunk));
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The answer as JSON: parsed when it says it is JSON, the text otherwise, null when empty. */
function answerJson(c: HttpExecutorConfig, res: Response, text: string): JsonValue {
  if (text === '') return null;
  if (!/\bjson\b/i.test(res.headers.get('content-type') ?? '')) return text;
  try {
    return JSON.parse(text) as JsonValue;
  } catch (e) {
    throw failed(c, `answered ${res.status} with malformed JSON`, e);
  }
}

/** What a failing executor said: its `{ error: { message } }`, or the start of its answer. */
function complaint(answer: JsonValue): string {
  const message = (answer as { error?: { message?: unknown } } | null)?.error?.message;
  const text = typeof message === 'string' ? message : typeof answer === 'string' ? answer : '';
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}

/** An executor that POSTs `{ id, agent, request, decision }` to `c.url`. Throws at start for unset variables. */
export function httpExecutor(
  c: HttpExecutorConfig,
  env: Readonly<Record<string, string | undefined>>,
): ActionExecutor {
  const headers = expandHeaders(c.headers, env, `executor \`${c.name}\``);
  const timeoutMs = parseDuration(c.timeout) ?? 30_000;
  return {
    name: c.name,
    async run(call: ActionCall): Promise<JsonValue> {
      const body = JSON.stringify({
        id: call.id,
        agent: call.request.agent,
        request: call.request,
        decision: call.decision,
      });
      let res: Response;
      try {
        res = await fetch(c.url, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json', 'agentos-action': call.id },
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (e) {
        const timedOut = (e as { name?: string }).name === 'TimeoutError';
        const why = timedOut ? `did not answer within ${c.timeout}` : `could not be reached at \`${c.url}\``;
        throw failed(c, why, e);
      }
      const answer = answerJson(c, res, await readAnswer(c, res));
      if (res.status < 200 || res.status > 299) {
        const said = complaint(answer);
        throw failed(c, `answered ${res.status}${said ? `: ${said}` : ''}`);
      }
      return answer;
    },
  };
}
