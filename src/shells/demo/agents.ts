/**
 * The demo's agents (issue 4 §9): Acme onboards a new hire, Jordan Doe, and each step is an agent's action
 * sent through the kernel with the SDK, as any agent would: allowed steps run by the HR, IT and finance
 * systems, denied steps, a salary that waits for Fiona's approval and an access grant that waits for
 * Ivan's, and an agent its owner pauses, whose next order waits, held, until someone resumes it.
 */
import { connect, type AgentOsClient } from '../../sdk/index.js';
import type { ActionInput, ActionResult, ActionView } from '../../sdk/types.js';
import type { Style } from '../cli/style.js';

/** A step of the story: which agent asks for what, and what the narrator says. */
interface Step {
  readonly agent: string;
  readonly say: string;
  readonly request: ActionInput;
}

const JORDAN = 'jdoe';

/** The onboarding, in order. */
const STEPS: readonly Step[] = [
  {
    agent: 'identity-bot',
    say: "creates Jordan's directory account",
    request: { action: 'directory.user.create', resource: `users/${JORDAN}`, args: { name: 'Jordan Doe' } },
  },
  {
    agent: 'identity-bot',
    say: 'adds Jordan to the engineering group',
    request: { action: 'directory.group.add', args: { user: JORDAN, group: 'engineering' } },
  },
  {
    agent: 'identity-bot',
    say: 'tries to "clean up" with a shell command that hides an rm -rf',
    request: {
      action: 'shell.exec',
      args: { command: `ldapsearch -x uid=${JORDAN}; bash -c 'r''m -rf /home/${JORDAN}'` },
    },
  },
  {
    agent: 'hardware-bot',
    say: 'orders a laptop',
    request: { action: 'hardware.order', args: { item: 'laptop', amount: 1800, for: JORDAN } },
  },
  {
    agent: 'payroll-bot',
    say: 'sets up payroll at the offered salary',
    request: { action: 'payroll.update', resource: `employee/${JORDAN}`, args: { salary: 98_000 } },
  },
  {
    agent: 'payroll-bot',
    say: 'tries to tidy the employees table with a DELETE inside a CTE',
    request: {
      action: 'sql.query',
      args: { sql: 'WITH gone AS (DELETE FROM employees RETURNING id) SELECT * FROM gone' },
    },
  },
  {
    agent: 'training-bot',
    say: 'enrols Jordan in security basics',
    request: { action: 'lms.enroll', args: { person: JORDAN, course: 'security-basics' } },
  },
  {
    agent: 'training-bot',
    say: 'sends the welcome mail',
    request: { action: 'email.send', args: { to: `${JORDAN}@acme.test`, subject: 'Welcome to Acme' } },
  },
  {
    agent: 'training-bot',
    say: "mails Jordan's private address",
    request: { action: 'email.send', args: { to: 'jordan@mail.example', subject: 'Your first week' } },
  },
];

/** Steps that wait for people; they stay open in the console. */
const WAITING: readonly Step[] = [
  {
    agent: 'payroll-bot',
    say: 'applies the signing raise HR negotiated (above 200,000: Finance approves)',
    request: { action: 'payroll.update', resource: `employee/${JORDAN}`, args: { salary: 250_000 } },
  },
  {
    agent: 'access-bot',
    say: 'grants Slack (access-bot is assisted: every grant is approved)',
    request: { action: 'app.access.grant', args: { user: JORDAN, app: 'slack' } },
  },
];

/** What the story needs: the kernel, the agents' credentials, a token for the paused agent's owner. */
export interface StoryDeps {
  readonly url: string;
  readonly credentials: ReadonlyMap<string, string>;
  /** Leo owns hardware-bot and pauses it. */
  readonly ownerToken: string;
  readonly style: Style;
  say(line: string): void;
}

/** One line for an action's result. */
function outcome(s: Style, r: ActionView | ActionResult): string {
  switch (r.status) {
    case 'executed':
      return s.green(`executed by ${r.executor ?? 'the agent'}: ${JSON.stringify(r.outcome)}`);
    case 'failed':
      return s.red(`failed: ${r.outcome.message}`);
    case 'denied':
      return s.red(`denied (${r.decision.rules.join(', ')}): ${r.decision.reason}`);
    case 'pending_approval':
      return s.yellow(`waits for approval by ${r.approval.approvers.join(', ')}`);
    case 'held':
      return s.yellow('held: its agent is paused');
    case 'allowed':
      return s.green('allowed (report mode)');
  }
}

/**
 * Runs the onboarding. Resolves once every step that does not wait for people has finished; those that
 * wait keep waiting in the background and are told of (`say`) when they end.
 */
export async function runOnboarding(d: StoryDeps): Promise<void> {
  const clients = new Map<string, AgentOsClient>();
  const client = (agent: string): AgentOsClient => {
    let c = clients.get(agent);
    if (!c) {
      const credential = d.credentials.get(agent);
      if (!credential) throw new Error(`no credential for \`${agent}\``);
      c = connect({ url: d.url, credential, agent });
      clients.set(agent, c);
    }
    return c;
  };
  const s = d.style;
  const episode = `ep_onboarding-${JORDAN}`;
  const line = (step: Step, result: ActionView | ActionResult) =>
    d.say(`  ${s.bold(step.agent.padEnd(13))} ${step.say}\n  ${' '.repeat(13)} → ${outcome(s, result)}`);

  for (const step of STEPS) line(step, await client(step.agent).execute({ ...step.request, episode }));

  for (const step of WAITING) {
    const agent = client(step.agent);
    const submitted = await agent.submit({ ...step.request, episode });
    line(step, submitted);
    void agent
      .wait(submitted.id, { timeoutMs: 4 * 3_600_000 })
      .then((r) => d.say(`  ${s.bold(step.agent)}: ${step.say.split(' (')[0]} → ${outcome(s, r)}`))
      .catch(() => undefined);
  }

  // Leo pauses hardware-bot; its next order is held until someone resumes it (in the console, or
  // `agentos signal cont hardware-bot`).
  const leo = connect({ url: d.url, credential: d.ownerToken });
  await leo.signal('stop', { agent: 'hardware-bot' }, 'Leo is checking the hardware budget');
  d.say(`  ${s.bold('leo@acme.test'.padEnd(13))} pauses hardware-bot: Leo is checking the hardware budget`);
  const paused: Step = {
    agent: 'hardware-bot',
    say: 'orders a second monitor',
    request: { action: 'hardware.order', args: { item: 'monitor', amount: 320, for: JORDAN } },
  };
  const hardware = client('hardware-bot');
  const held = await hardware.submit({ ...paused.request, episode });
  line(paused, held);
  void hardware
    .wait(held.id, { timeoutMs: 24 * 3_600_000 })
    .then((r) => d.say(`  ${s.bold('hardware-bot')}: resumed; the monitor order → ${outcome(s, r)}`))
    .catch(() => undefined);
}
