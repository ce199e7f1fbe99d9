/**
 * `agentos serve --demo` (issue 4 §9): a data directory with the onboarding organisation, the HR, IT and
 * finance systems as HTTP executors, the kernel daemon with its console, and the demo agents onboarding a
 * new hire through it. Everything runs on loopback; the directory is rebuilt on every start.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, copyFile, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentOsError } from '../../kernel/errors.js';
import { createAgentCredential, createPersonToken, initDataDir, startDaemon } from '../../root.js';
import type { Style } from '../cli/style.js';
import { runOnboarding } from './agents.js';
import { runSandboxedAgents } from './sandboxed.js';
import { startSystems, type RunningSystem } from './systems.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/onboarding', import.meta.url));
/** Marks a data directory as the demo's, so it may be rebuilt. */
export const DEMO_MARKER = 'demo.json';
/** The agents of the story. */
const AGENTS = ['identity-bot', 'access-bot', 'hardware-bot', 'payroll-bot', 'training-bot'];
/** People who sign in to the console: who they are and why. */
const PEOPLE = [
  { id: 'olivia@acme.test', role: 'admin', why: 'admin: sees and may do everything' },
  { id: 'fiona@acme.test', role: 'approver', why: "approver: Finance, approves Jordan's salary" },
  { id: 'ivan@acme.test', role: 'approver', why: "approver: IT, approves access-bot's Slack grant" },
] as const;

/** Where and how the demo runs. */
export interface DemoOptions {
  readonly dataDir: string;
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly style: Style;
  /** Prints one block of narration. */
  say(text: string): void;
  readonly logger?: Parameters<typeof startDaemon>[0]['logger'];
}

/** A running demo. */
export interface RunningDemo {
  readonly url: string;
  readonly tokens: Readonly<Record<string, string>>;
  readonly systems: readonly RunningSystem[];
  close(): Promise<void>;
}

/** Removes a previous demo's directory; refuses one the demo did not make. */
async function freshDir(dir: string): Promise<void> {
  const entries = await readdir(dir).catch(() => undefined);
  if (entries === undefined || entries.length === 0) return;
  const ours = await stat(join(dir, DEMO_MARKER)).then(
    () => true,
    () => false,
  );
  if (!ours) {
    throw new AgentOsError(
      'AOS_USAGE',
      `\`${dir}\` is not empty and was not made by the demo; pass \`--data\` with a new directory`,
    );
  }
  await rm(dir, { recursive: true, force: true });
}

/** The data directory: the example org and policies, and an executor per system. */
async function prepare(dir: string, systems: readonly RunningSystem[]): Promise<void> {
  await initDataDir(dir);
  await writeFile(join(dir, DEMO_MARKER), JSON.stringify({ madeBy: 'agentos serve --demo' }) + '\n');
  await copyFile(join(EXAMPLE, 'org.yaml'), join(dir, 'org.yaml'));
  await mkdir(join(dir, 'policies'), { recursive: true });
  for (const f of await readdir(join(EXAMPLE, 'policies'))) {
    await copyFile(join(EXAMPLE, 'policies', f), join(dir, 'policies', f));
  }
  const lines = ['', '# the demo systems (agentos serve --demo)', 'executors:'];
  for (const s of systems) {
    lines.push(
      `  - name: ${s.name}`,
      `    actions: ${JSON.stringify(s.actions)}`,
      `    url: ${s.url}`,
      `    headers: { authorization: "Bearer \${env:${s.secretEnv}}" }`,
      '    timeout: 10s',
    );
  }
  await appendFile(join(dir, 'agentos.yaml'), lines.join('\n') + '\n');
}

/** Starts the demo: systems, data directory, daemon, then the story. */
export async function startDemo(o: DemoOptions): Promise<RunningDemo> {
  await freshDir(o.dataDir);
  await mkdir(join(o.dataDir, 'systems'), { recursive: true });
  const secrets = new Map<string, string>();
  const secret = (name: string) => {
    const value = randomBytes(24).toString('base64url');
    secrets.set(name, value);
    return value;
  };
  // The systems keep their databases outside the kernel's files; they are rebuilt with the directory.
  const systemsDir = join(o.dataDir, 'systems');
  const systems = await startSystems(systemsDir, secret);
  try {
    await prepare(o.dataDir, systems);
    const tokens: Record<string, string> = {};
    for (const p of PEOPLE) tokens[p.id] = (await createPersonToken(o.dataDir, p.id, p.role)).secret;
    tokens['leo@acme.test'] = (await createPersonToken(o.dataDir, 'leo@acme.test', 'viewer')).secret;
    // Carla owns training-bot: she starts its sandboxed runs
    tokens['carla@acme.test'] = (await createPersonToken(o.dataDir, 'carla@acme.test', 'viewer')).secret;
    const credentials = new Map<string, string>();
    for (const a of AGENTS) credentials.set(a, (await createAgentCredential(o.dataDir, a)).secret);
    const env = Object.fromEntries(systems.map((s) => [s.secretEnv, secrets.get(s.name)]));
    const daemon = await startDaemon({
      dataDir: o.dataDir,
      host: o.host,
      port: o.port,
      env,
      logger: o.logger ?? false,
    });
    o.say(banner(o.style, daemon.url, o.dataDir, systems, tokens));
    await runOnboarding({
      url: daemon.url,
      credentials,
      ownerToken: tokens['leo@acme.test'] ?? '',
      style: o.style,
      say: o.say,
    });
    await runSandboxedAgents({
      url: daemon.url,
      token: tokens['carla@acme.test'] ?? '',
      dataDir: o.dataDir,
      hrSystem: systems.find((x) => x.name === 'hr')?.url ?? 'http://127.0.0.1:1/',
      enforcement: daemon.enforcement,
      style: o.style,
      say: o.say,
    });
    o.say(nextSteps(o.style, daemon.url, o.dataDir));
    return {
      url: daemon.url,
      tokens,
      systems,
      close: async () => {
        await daemon.close();
        for (const s of systems) await s.close();
      },
    };
  } catch (e) {
    for (const s of systems) await s.close();
    throw e;
  }
}

function banner(
  s: Style,
  url: string,
  dir: string,
  systems: readonly RunningSystem[],
  tokens: Readonly<Record<string, string>>,
): string {
  const lines = [
    `${s.bold('Agent OS')} — demo: Acme onboards a new hire, Jordan Doe`,
    '',
    `  kernel    ${url}   (data directory ${dir})`,
    ...systems.map((x) => `  ${x.name.padEnd(8)}  ${x.url.replace(/\/execute$/, '/')}   ${s.dim(x.title)}`),
    '',
    `  ${s.bold('console')}   ${s.cyan(`${url}/`)}   sign in with one of these tokens:`,
    ...PEOPLE.map(
      (p) => `    ${p.id.padEnd(18)} ${tokens[p.id] ?? ''}\n    ${' '.repeat(18)} ${s.dim(p.why)}`,
    ),
    '',
    s.bold('the onboarding, through the kernel:'),
  ];
  return lines.join('\n');
}

function nextSteps(s: Style, url: string, dir: string): string {
  return [
    '',
    s.bold('now:'),
    `  · approve or deny the salary and the Slack grant in the console (${url}/), or`,
    `      AGENTOS_URL=${url} AGENTOS_TOKEN=<fiona's token> ./bin/agentos.js approvals list`,
    '  · resume hardware-bot from the agents page, or `agentos signal cont hardware-bot` with an admin token',
    `  · audit what happened: ./bin/agentos.js audit tail --data ${dir}`,
    "  · see what the compromised job tried: the console's ledger shows its denied `http.request` and `payroll.update`",
    '',
    'the kernel keeps running; Ctrl-C stops it (the ledger is flushed and signed).',
  ].join('\n');
}
