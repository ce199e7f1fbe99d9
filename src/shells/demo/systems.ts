/**
 * The demo's stand-ins for Acme's HR, IT and finance systems (issue 4 §9): small real HTTP services, each
 * with its own SQLite database, that the kernel calls as HTTP executors (docs/executors.md). They check
 * the bearer secret only the daemon holds, perform the action on their tables and answer with what they
 * did; `GET /` shows their tables, so what the agents did can be seen outside the kernel too.
 */
import Database from 'better-sqlite3';
import Fastify, { type FastifyInstance } from 'fastify';
import { join } from 'node:path';

/** One allowed action as the kernel sends it. */
interface Call {
  readonly id: string;
  readonly request: {
    readonly action: string;
    readonly resource?: string;
    readonly args?: Record<string, unknown>;
  };
}

type Db = Database.Database;
/** Performs one action on a system's database; throws a message for a request it cannot do. */
type Handler = (db: Db, call: Call) => Record<string, unknown>;

/** A demo system: its name, the actions it performs, its tables. */
interface SystemSpec {
  readonly name: 'hr' | 'it' | 'finance';
  readonly title: string;
  readonly actions: readonly string[];
  readonly schema: string;
  readonly handlers: Readonly<Record<string, Handler>>;
}

const str = (v: unknown, what: string): string => {
  if (typeof v !== 'string' || v === '') throw new Error(`\`${what}\` is missing`);
  return v;
};
const num = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`\`${what}\` must be a number`);
  return v;
};
const after = (resource: string | undefined, prefix: string): string => {
  if (!resource?.startsWith(prefix)) throw new Error(`resource must look like \`${prefix}<id>\``);
  return resource.slice(prefix.length);
};

const SYSTEMS: readonly SystemSpec[] = [
  {
    name: 'hr',
    title: 'HR (learning and mail)',
    actions: ['lms.*', 'email.*'],
    schema: `CREATE TABLE IF NOT EXISTS enrolments (id INTEGER PRIMARY KEY, person TEXT NOT NULL, course TEXT NOT NULL, action TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS mail (id INTEGER PRIMARY KEY, recipient TEXT NOT NULL, subject TEXT NOT NULL, action TEXT NOT NULL);`,
    handlers: {
      'lms.enroll': (db, c) => {
        const person = str(c.request.args?.person, 'args.person');
        const course = str(c.request.args?.course, 'args.course');
        db.prepare('INSERT INTO enrolments (person, course, action) VALUES (?, ?, ?)').run(
          person,
          course,
          c.id,
        );
        return { enrolled: person, course };
      },
      'email.send': (db, c) => {
        const to = str(c.request.args?.to, 'args.to');
        const subject = str(c.request.args?.subject, 'args.subject');
        db.prepare('INSERT INTO mail (recipient, subject, action) VALUES (?, ?, ?)').run(to, subject, c.id);
        return { sent: to, subject };
      },
    },
  },
  {
    name: 'it',
    title: 'IT (directory, access, hardware)',
    actions: ['directory.**', 'app.access.*', 'hardware.*'],
    schema: `CREATE TABLE IF NOT EXISTS users (uid TEXT PRIMARY KEY, name TEXT NOT NULL, action TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS memberships (uid TEXT NOT NULL, grp TEXT NOT NULL, action TEXT NOT NULL, PRIMARY KEY (uid, grp));
             CREATE TABLE IF NOT EXISTS grants (uid TEXT NOT NULL, app TEXT NOT NULL, action TEXT NOT NULL, PRIMARY KEY (uid, app));
             CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, item TEXT NOT NULL, amount REAL NOT NULL, forwhom TEXT NOT NULL, action TEXT NOT NULL);`,
    handlers: {
      'directory.user.create': (db, c) => {
        const uid = after(c.request.resource, 'users/');
        const name = str(c.request.args?.name, 'args.name');
        db.prepare('INSERT OR REPLACE INTO users (uid, name, action) VALUES (?, ?, ?)').run(uid, name, c.id);
        return { created: uid, mailbox: `${uid}@acme.test` };
      },
      'directory.group.add': (db, c) => {
        const uid = str(c.request.args?.user, 'args.user');
        const group = str(c.request.args?.group, 'args.group');
        db.prepare('INSERT OR REPLACE INTO memberships (uid, grp, action) VALUES (?, ?, ?)').run(
          uid,
          group,
          c.id,
        );
        return { added: uid, group };
      },
      'app.access.grant': (db, c) => {
        const uid = str(c.request.args?.user, 'args.user');
        const app = str(c.request.args?.app, 'args.app');
        db.prepare('INSERT OR REPLACE INTO grants (uid, app, action) VALUES (?, ?, ?)').run(uid, app, c.id);
        return { granted: app, to: uid };
      },
      'hardware.order': (db, c) => {
        const item = str(c.request.args?.item, 'args.item');
        const amount = num(c.request.args?.amount, 'args.amount');
        const forWhom = str(c.request.args?.for, 'args.for');
        const r = db
          .prepare('INSERT INTO orders (item, amount, forwhom, action) VALUES (?, ?, ?, ?)')
          .run(item, amount, forWhom, c.id);
        return { order: Number(r.lastInsertRowid), item, amount };
      },
    },
  },
  {
    name: 'finance',
    title: 'Finance (payroll)',
    actions: ['payroll.*'],
    schema: `CREATE TABLE IF NOT EXISTS salaries (employee TEXT PRIMARY KEY, salary REAL NOT NULL, action TEXT NOT NULL);`,
    handlers: {
      'payroll.update': (db, c) => {
        const employee = after(c.request.resource, 'employee/');
        const salary = num(c.request.args?.salary, 'args.salary');
        db.prepare('INSERT OR REPLACE INTO salaries (employee, salary, action) VALUES (?, ?, ?)').run(
          employee,
          salary,
          c.id,
        );
        return { employee, salary };
      },
    },
  },
];

/** A running demo system. */
export interface RunningSystem {
  readonly name: string;
  readonly title: string;
  /** Action globs it performs (the executor's `actions`). */
  readonly actions: readonly string[];
  /** Where the kernel POSTs actions. */
  readonly url: string;
  /** The environment variable the daemon reads its bearer secret from. */
  readonly secretEnv: string;
  close(): Promise<void>;
}

/** Starts one system on loopback with its database in `dir`. */
async function startSystem(spec: SystemSpec, dir: string, secret: string): Promise<RunningSystem> {
  const db = new Database(join(dir, `${spec.name}.db`));
  db.pragma('journal_mode = WAL');
  db.exec(spec.schema);
  const app: FastifyInstance = Fastify({ logger: false });
  app.post('/execute', async (req, reply) => {
    if (req.headers.authorization !== `Bearer ${secret}`) {
      return reply.code(401).send({ error: { message: 'this system only takes calls from the kernel' } });
    }
    const call = req.body as Call;
    const handler = spec.handlers[call.request.action];
    if (!handler)
      return reply.code(404).send({ error: { message: `no action \`${call.request.action}\` here` } });
    try {
      return handler(db, call);
    } catch (e) {
      return reply.code(422).send({ error: { message: e instanceof Error ? e.message : String(e) } });
    }
  });
  app.get('/', async () => {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
      name: string;
    }[];
    return Object.fromEntries(tables.map((t) => [t.name, db.prepare(`SELECT * FROM "${t.name}"`).all()]));
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    name: spec.name,
    title: spec.title,
    actions: spec.actions,
    url: `${address}/execute`,
    secretEnv: `AGENTOS_DEMO_${spec.name.toUpperCase()}_SECRET`,
    close: async () => {
      await app.close();
      db.close();
    },
  };
}

/** Starts the HR, IT and finance systems; `secret(name)` gives each its bearer secret. */
export async function startSystems(dir: string, secret: (name: string) => string): Promise<RunningSystem[]> {
  const started: RunningSystem[] = [];
  try {
    for (const spec of SYSTEMS) started.push(await startSystem(spec, dir, secret(spec.name)));
    return started;
  } catch (e) {
    for (const s of started) await s.close();
    throw e;
  }
}
