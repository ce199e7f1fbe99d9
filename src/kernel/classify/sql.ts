/**
 * SQL classifier for `sql.*` actions, built on `libpg-query`: the real PostgreSQL parser (libpg_query, PG 18)
 * compiled to WebAssembly.
 *
 * Why not `node-sql-parser` (sync, many dialects)? It is a re-implementation, and re-implementations disagree
 * with the server exactly where attackers aim: it fails on data-modifying CTEs (`WITH x AS (DELETE …) SELECT …`),
 * and it reads `SELECT 'a\'; DROP TABLE x; --'` as one SELECT where PostgreSQL (standard_conforming_strings on)
 * runs a DROP; in MySQL mode it ignores `/*!… *\/` comments that MySQL executes. With the real grammar,
 * comments, nested comments, dollar quotes, `E''` strings and case are handled as the server handles them.
 * The price: PostgreSQL only (`args.dialect` must be absent or `postgresql`; any other dialect is refused as
 * unparseable), and the WebAssembly module loads asynchronously, once, at import (top-level await below), so
 * `classifySql` itself stays synchronous.
 */
import { loadModule, parseSync } from 'libpg-query';
import type { Classification, RiskLevel } from '../types.js';
import { riskRank } from '../types.js';
import { MAX_INPUT_LENGTH, describe, quote, unclassifiable } from './result.js';

// INVARIANT: a parser that failed to load leaves every SQL request unparseable (critical), never unclassified
let loadError: string | undefined;
await loadModule().catch((e: unknown) => {
  loadError = e instanceof Error ? e.message : String(e);
});

/** Dialect names accepted in `args.dialect` (all mean PostgreSQL). */
const POSTGRES_DIALECTS: ReadonlySet<string> = new Set(['postgresql', 'postgres', 'pg']);

/** Statement types that only read: a request made only of these is low risk. */
const LOW: ReadonlySet<string> = new Set([
  'select',
  'show',
  'explain',
  'transaction',
  'declare',
  'fetch',
  'close',
]);
/** Statement types that change data or add objects, without destroying or re-permissioning anything. */
const MEDIUM: ReadonlySet<string> = new Set([
  'insert',
  'update',
  'merge',
  'create',
  'set',
  'prepare',
  'deallocate',
]);
/** Statement types that run code the kernel cannot see: `DO` blocks, prepared statements, shared libraries. */
const CRITICAL: ReadonlySet<string> = new Set(['do', 'execute', 'load']);
// Everything else — delete, drop, truncate, alter, grant, revoke, copy, vacuum, call, lock and any type this
// list does not know — is high.

/** Statements that install code the server runs later (so a later plain SELECT can hide it), or switch roles. */
const CODE_INSTALLING: ReadonlySet<string> = new Set([
  'CreateFunctionStmt',
  'CreateTrigStmt',
  'CreateEventTrigStmt',
  'RuleStmt',
  'CreateExtensionStmt',
  'CreatePLangStmt',
]);
/** `SET` targets that change the session's privileges. */
const PRIVILEGE_SETTINGS: ReadonlySet<string> = new Set(['role', 'session_authorization']);

/** Functions that run SQL held in a string (so the kernel cannot see what runs): critical. */
const DYNAMIC_FUNCTIONS: ReadonlySet<string> = new Set([
  'query_to_xml',
  'query_to_xmlschema',
  'query_to_xml_and_xmlschema',
  'dblink',
  'dblink_exec',
  'dblink_send_query',
  'dblink_open',
]);
/** Functions that reach the server's files, sessions or configuration: high. */
const PRIVILEGED_FUNCTIONS: ReadonlySet<string> = new Set([
  'pg_read_file',
  'pg_read_binary_file',
  'pg_ls_dir',
  'pg_stat_file',
  'pg_file_write',
  'lo_import',
  'lo_export',
  'pg_terminate_backend',
  'pg_cancel_backend',
  'pg_reload_conf',
  'pg_promote',
  'set_config',
]);

/** Statement node names whose type is not `Create…`/`Alter…`/`Drop…` or the name itself without `Stmt`. */
const NODE_TYPES: Readonly<Record<string, string>> = {
  SelectStmt: 'select',
  InsertStmt: 'insert',
  UpdateStmt: 'update',
  DeleteStmt: 'delete',
  MergeStmt: 'merge',
  TruncateStmt: 'truncate',
  CopyStmt: 'copy',
  ExplainStmt: 'explain',
  VariableSetStmt: 'set',
  VariableShowStmt: 'show',
  ConstraintsSetStmt: 'set',
  TransactionStmt: 'transaction',
  DeclareCursorStmt: 'declare',
  ClosePortalStmt: 'close',
  DoStmt: 'do',
  CallStmt: 'call',
  ExecuteStmt: 'execute',
  PrepareStmt: 'prepare',
  DeallocateStmt: 'deallocate',
  LoadStmt: 'load',
  CheckPointStmt: 'checkpoint',
  RefreshMatViewStmt: 'refresh',
  RenameStmt: 'alter',
  ReassignOwnedStmt: 'alter',
  AlterObjectSchemaStmt: 'alter',
  ViewStmt: 'create',
  IndexStmt: 'create',
  RuleStmt: 'create',
  DefineStmt: 'create',
  CompositeTypeStmt: 'create',
  ImportForeignSchemaStmt: 'create',
};

/** `DROP` object kinds whose names are tables (or table-like relations) for `sql.tables`. */
const DROPPED_RELATIONS: ReadonlySet<string> = new Set([
  'OBJECT_TABLE',
  'OBJECT_VIEW',
  'OBJECT_MATVIEW',
  'OBJECT_FOREIGN_TABLE',
  'OBJECT_SEQUENCE',
]);

/** How deep the walk follows the parse tree; the parser itself refuses far shallower nesting. */
const MAX_TREE_DEPTH = 10_000;

/**
 * Classifies SQL text (`args.sql`). Facts, each deduplicated and sorted:
 * `sql.statements` (lower-case types of every statement, including those nested in CTEs, subqueries,
 * `INSERT … SELECT`, `EXPLAIN`, rules), `sql.tables` (lower-case relation names, `schema.table` when
 * qualified; CTE names are included, since telling them from tables needs scoping and over-reporting fails
 * closed) and `sql.functions` (lower-case called function names as written, `schema.fn` when qualified).
 * Risk: low when every statement is in {select, show, explain, transaction, declare, fetch, close};
 * medium with insert/update/merge/create/set/prepare/deallocate; high for everything else (delete, drop,
 * truncate, alter, grant, revoke, copy, … and unknown types), for statements that install code the server
 * runs later (functions, triggers, rules, extensions: a later plain `SELECT f()` hides what they do), for
 * `SET ROLE`/`SET SESSION AUTHORIZATION`, and for server-file/session functions (`pg_read_file`, …);
 * critical for `DO`, `EXECUTE`, `LOAD`, `COPY … PROGRAM`, functions that run SQL strings, and anything
 * unparseable (`sql.error`).
 */
export function classifySql(sql: unknown, dialect: unknown): Classification {
  if (dialect !== undefined) {
    if (typeof dialect !== 'string')
      return unclassifiable('sql', `sql dialect is ${describe(dialect)}, not a string`);
    if (!POSTGRES_DIALECTS.has(dialect.toLowerCase())) {
      return unclassifiable(
        'sql',
        `sql dialect ${quote(dialect)} is not supported: only postgresql can be parsed`,
      );
    }
  }
  if (typeof sql !== 'string') return unclassifiable('sql', `sql is ${describe(sql)}, not a string`);
  if (sql.length > MAX_INPUT_LENGTH)
    return unclassifiable('sql', `sql is longer than ${MAX_INPUT_LENGTH} characters`);
  // INVARIANT: the parser reads a C string: text after a NUL would be invisible to it, so NUL is refused
  if (sql.includes('\0')) return unclassifiable('sql', 'sql contains a nul byte');
  if (loadError !== undefined) return unclassifiable('sql', `sql parser failed to load: ${loadError}`);
  let tree: unknown;
  try {
    tree = parseSync(sql);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return unclassifiable('sql', `sql does not parse: ${message.split('\n')[0] ?? ''}`);
  }
  const found = walk(tree);
  if (typeof found === 'string') return unclassifiable('sql', found);
  if (found.statements.size === 0) return unclassifiable('sql', 'sql has no statements');
  const statements = [...found.statements].sort();
  let risk: RiskLevel = 'low';
  const raise = (level: RiskLevel): void => {
    if (riskRank(level) > riskRank(risk)) risk = level;
  };
  for (const type of statements) {
    raise(LOW.has(type) ? 'low' : MEDIUM.has(type) ? 'medium' : CRITICAL.has(type) ? 'critical' : 'high');
  }
  for (const fn of found.functions) {
    const bare = fn.slice(fn.lastIndexOf('.') + 1);
    if (DYNAMIC_FUNCTIONS.has(bare)) raise('critical');
    else if (PRIVILEGED_FUNCTIONS.has(bare)) raise('high');
  }
  if (found.privileged) raise('high');
  if (found.program) raise('critical');
  return {
    facts: {
      'sql.statements': statements,
      'sql.tables': [...found.tables].sort(),
      'sql.functions': [...found.functions].sort(),
    },
    risk,
  };
}

interface Found {
  readonly statements: Set<string>;
  readonly tables: Set<string>;
  readonly functions: Set<string>;
  /** `COPY … PROGRAM`: the server runs an operating-system command. */
  program: boolean;
  /** A statement installs code (functions, triggers, rules, extensions) or switches role: high. */
  privileged: boolean;
}

/** Walks the whole parse tree (iteratively: it can be deep) collecting statements, relations and functions. */
function walk(tree: unknown): Found | string {
  const found: Found = {
    statements: new Set(),
    tables: new Set(),
    functions: new Set(),
    program: false,
    privileged: false,
  };
  const stack: { node: unknown; depth: number }[] = [{ node: tree, depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { node, depth } = item;
    if (node === null || typeof node !== 'object') continue;
    if (depth > MAX_TREE_DEPTH) return 'sql is nested too deeply to classify';
    if (Array.isArray(node)) {
      for (const child of node) stack.push({ node: child, depth: depth + 1 });
      continue;
    }
    const record = node as Record<string, unknown>;
    // INVARIANT: RangeVar nodes appear both wrapped (`{ RangeVar: {…} }`) and bare (`relation: {…}`): match by shape
    if (typeof record['relname'] === 'string') found.tables.add(relationName(record));
    for (const [key, child] of Object.entries(record)) {
      if (/^[A-Z][A-Za-z]*Stmt$/.test(key) && child !== null && typeof child === 'object') {
        visitStatement(key, child as Record<string, unknown>, found);
      } else if (key === 'FuncCall' && child !== null && typeof child === 'object') {
        const name = qualifiedName((child as Record<string, unknown>)['funcname']);
        if (name !== '') found.functions.add(name);
      }
      stack.push({ node: child, depth: depth + 1 });
    }
  }
  return found;
}

function visitStatement(node: string, body: Record<string, unknown>, found: Found): void {
  found.statements.add(statementType(node, body));
  if (node === 'CopyStmt' && body['is_program'] === true) found.program = true;
  if (CODE_INSTALLING.has(node)) found.privileged = true;
  if (node === 'VariableSetStmt' && PRIVILEGE_SETTINGS.has(String(body['name']))) found.privileged = true;
  if (node === 'DropStmt' && DROPPED_RELATIONS.has(String(body['removeType']))) {
    for (const object of asArray(body['objects'])) {
      const name = qualifiedName((object as { List?: { items?: unknown } } | null)?.List?.items);
      if (name !== '') found.tables.add(name);
    }
  }
}

/** The lower-case statement type of a statement node (`DeleteStmt` → `delete`). */
function statementType(node: string, body: Record<string, unknown>): string {
  if (node === 'GrantStmt' || node === 'GrantRoleStmt') return body['is_grant'] === true ? 'grant' : 'revoke';
  if (node === 'VacuumStmt') return body['is_vacuumcmd'] === true ? 'vacuum' : 'analyze';
  if (node === 'SelectStmt' && body['intoClause'] !== undefined) return 'create'; // SELECT … INTO new_table
  const known = NODE_TYPES[node];
  if (known !== undefined) return known;
  for (const verb of ['create', 'alter', 'drop']) {
    if (node.toLowerCase().startsWith(verb)) return verb;
  }
  return node.slice(0, -'Stmt'.length).toLowerCase();
}

/** `catalog.schema.table`, lower-case, from a RangeVar. */
function relationName(rangeVar: Record<string, unknown>): string {
  return ['catalogname', 'schemaname', 'relname']
    .map((k) => rangeVar[k])
    .filter((part): part is string => typeof part === 'string' && part !== '')
    .join('.')
    .toLowerCase();
}

/** Joins a list of `{ String: { sval } }` nodes into a lower-case dotted name. */
function qualifiedName(items: unknown): string {
  return asArray(items)
    .map((item) => (item as { String?: { sval?: unknown } } | null)?.String?.sval)
    .filter((part): part is string => typeof part === 'string')
    .join('.')
    .toLowerCase();
}

function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}
