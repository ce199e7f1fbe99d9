// training-bot's weekly reminder job, as it runs under `agentos run` in the demo: confined to a sandbox
// whose only way out is the kernel, it asks for each step through the SDK (AGENTOS_SOCKET and
// AGENTOS_CREDENTIAL are set by the kernel for the run) and writes its report in its workspace.
import { writeFileSync } from 'node:fs';

// in a package that depends on agentos: import { connectFromEnv } from 'agentos/node'
const { connectFromEnv } = await import(new URL('../../../dist/sdk/node.js', import.meta.url).href);
const kernel = connectFromEnv(); // through the run's own socket, AGENTOS_SOCKET

const r = await kernel.execute({
  action: 'email.send',
  args: { to: 'jordan.doe@acme.test', subject: 'Reminder: security basics is due on Friday' },
});
console.log(`sends Jordan a reminder about security basics → ${r.status}`);
writeFileSync('report.txt', `reminder: ${r.status}\n`);
console.log(`writes report.txt in its workspace (${process.cwd()})`);
