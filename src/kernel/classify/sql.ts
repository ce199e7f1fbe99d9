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
import { rateFunction } from './sql-functions.js';
import { rateSetting } from './sql-settings.js';

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

/**
 * Statements that install code the server runs later (so a later plain `SELECT` can hide it): functions,
 * triggers, rules, extensions, languages, and objects that make an operator, cast, aggregate, type, encoding
 * conversion, transform, foreign-data wrapper or access method call a function. High.
 */
const CODE_INSTALLING: ReadonlySet<string> = new Set([
  'CreateFunctionStmt',
  'CreateTrigStmt',
  'CreateEventTrigStmt',
  'RuleStmt',
  'CreateExtensionStmt',
  'CreatePLangStmt',
  'CreateCastStmt',
  'CreateTransformStmt',
  'CreateConversionStmt',
  'CreateFdwStmt',
  'CreateAmStmt',
  'CreateOpClassStmt',
]);
/** `CREATE OPERATOR | AGGREGATE | TYPE | TEXT SEARCH PARSER | TEMPLATE` (DefineStmt kinds that name functions). */
const CODE_DEFINING: ReadonlySet<string> = new Set([
  'OBJECT_OPERATOR',
  'OBJECT_AGGREGATE',
  'OBJECT_TYPE',
  'OBJECT_TSPARSER',
  'OBJECT_TSTEMPLATE',
]);
/** Statements that manage who may do what, or where the server connects: high (a subscription: critical). */
const PRIVILEGE_STATEMENTS: Readonly<Record<string, string>> = {
  CreateRoleStmt: 'CREATE ROLE/USER/GROUP manages privileges',
  CreatePolicyStmt: 'CREATE POLICY changes row-level security',
  CreateUserMappingStmt: 'CREATE USER MAPPING stores credentials for another server',
  CreateForeignServerStmt: 'CREATE SERVER points the database at another server',
  CreatePublicationStmt: 'CREATE PUBLICATION lets subscribers read tables',
};

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
 * `INSERT … SELECT`, `EXPLAIN`, rules, and the actions of `MERGE`), `sql.tables` (relation names rendered as
 * PostgreSQL reads them, `schema.table` when qualified; CTE names are included, since telling them from tables
 * needs scoping and over-reporting fails closed), `sql.functions` (called function names as written, rendered
 * the same way), `sql.settings` (server settings changed) and, when something beyond the statement types
 * raised the risk, `sql.warnings` (why). Risk: low when every statement is in {select, show, explain,
 * transaction, declare, fetch, close}; medium with insert/update/merge/create/set/prepare/deallocate; high
 * for everything else (delete, drop, truncate, alter, grant, revoke, copy, … and unknown types), for
 * statements that install code the server runs later or manage privileges, and for rated settings and
 * functions (sql-settings.ts, sql-functions.ts); critical for `DO`, `EXECUTE`, `LOAD`, `COPY … PROGRAM`,
 * `COPY` to or from a server file, settings that change lexing, functions that run SQL strings or reach
 * server files or the network, and anything unparseable (`sql.error`).
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
  let risk: RiskLevel = found.floor;
  for (const type of statements) {
    const level = LOW.has(type)
      ? 'low'
      : MEDIUM.has(type)
        ? 'medium'
        : CRITICAL.has(type)
          ? 'critical'
          : 'high';
    if (riskRank(level) > riskRank(risk)) risk = level;
  }
  const facts: Record<string, unknown> = {
    'sql.statements': statements,
    'sql.tables': [...found.tables].sort(),
    'sql.functions': [...found.functions].sort(),
    'sql.settings': [...found.settings].sort(),
  };
  if (found.warnings.size > 0) facts['sql.warnings'] = [...found.warnings].sort();
  return { facts, risk };
}

interface Found {
  readonly statements: Set<string>;
  readonly tables: Set<string>;
  readonly functions: Set<string>;
  readonly settings: Set<string>;
  /** Why the risk was raised above what the statement types give (`sql.warnings`). */
  readonly warnings: Set<string>;
  /** The risk floor set by what `warnings` explains. */
  floor: RiskLevel;
}

/** Raises the floor to `level` and says why. */
function raise(found: Found, level: RiskLevel, why: string): void {
  found.warnings.add(why);
  if (riskRank(level) > riskRank(found.floor)) found.floor = level;
}

/** Walks the whole parse tree (iteratively: it can be deep) collecting statements, relations and functions. */
function walk(tree: unknown): Found | string {
  const found: Found = {
    statements: new Set(),
    tables: new Set(),
    functions: new Set(),
    settings: new Set(),
    warnings: new Set(),
    floor: 'low',
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
      if (child !== null && typeof child === 'object') {
        if (/^[A-Z][A-Za-z]*Stmt$/.test(key)) visitStatement(key, child as Record<string, unknown>, found);
        else if (key === 'FuncCall') visitCall(child as Record<string, unknown>, found);
      }
      stack.push({ node: child, depth: depth + 1 });
    }
  }
  return found;
}

function visitStatement(node: string, body: Record<string, unknown>, found: Found): void {
  found.statements.add(statementType(node, body));
  switch (node) {
    case 'SelectStmt':
      // SELECT … INTO new_table: creates a table and fills it from the select
      if (body['intoClause'] !== undefined) found.statements.add('select');
      break;
    case 'MergeStmt':
      for (const clause of asArray(body['mergeWhenClauses'])) {
        const action = MERGE_ACTIONS[String(field(clause, 'MergeWhenClause', 'commandType'))];
        if (action !== undefined) found.statements.add(action);
      }
      break;
    case 'CopyStmt':
      if (body['is_from'] === true) found.statements.add('insert');
      if (body['is_program'] === true) {
        raise(found, 'critical', 'COPY … PROGRAM runs an operating-system command on the database server');
      } else if (typeof body['filename'] === 'string') {
        raise(found, 'critical', "COPY with a file name reads or writes the database server's files");
      }
      break;
    case 'VariableSetStmt':
      visitSetting(body, found);
      break;
    case 'AlterSystemStmt':
    case 'AlterDatabaseSetStmt':
    case 'AlterRoleSetStmt': {
      // their `setstmt` is a bare VariableSetStmt body, which the walk does not recognise by key
      const set = body['setstmt'];
      if (set !== null && typeof set === 'object') visitSetting(set as Record<string, unknown>, found);
      break;
    }
    case 'UpdateStmt':
      // the pg_settings view has a rule that turns an UPDATE into set_config(), for any setting
      if (field(body, 'relation', 'relname') === 'pg_settings') {
        raise(found, 'critical', 'UPDATE of pg_settings changes server settings, whichever its WHERE names');
      }
      break;
    case 'CallStmt': {
      // CALL's FuncCall is bare, which the walk does not recognise by key
      const call = body['funccall'];
      if (call !== null && typeof call === 'object') visitCall(call as Record<string, unknown>, found);
      break;
    }
    case 'TransactionStmt':
      for (const option of asArray(body['options'])) visitTransactionOption(option, '', found);
      break;
    case 'DefineStmt':
      if (CODE_DEFINING.has(String(body['kind']))) raise(found, 'high', CODE_WARNING);
      break;
    case 'CreateSubscriptionStmt':
      raise(found, 'critical', 'CREATE SUBSCRIPTION connects to another server and applies what it sends');
      break;
    default:
      if (CODE_INSTALLING.has(node)) raise(found, 'high', CODE_WARNING);
      else if (PRIVILEGE_STATEMENTS[node] !== undefined) raise(found, 'high', PRIVILEGE_STATEMENTS[node]);
  }
  if (node === 'DropStmt' && DROPPED_RELATIONS.has(String(body['removeType']))) {
    for (const object of asArray(body['objects'])) {
      const name = renderName(asArray(field(object, 'List', 'items')).map(stringValue));
      if (name !== '') found.tables.add(name);
    }
  }
}

const CODE_WARNING = 'installs code the server runs later, which a later plain SELECT can run unseen';

/** `MERGE … WHEN … THEN <action>`: the statement each action is. */
const MERGE_ACTIONS: Readonly<Record<string, string>> = {
  CMD_DELETE: 'delete',
  CMD_UPDATE: 'update',
  CMD_INSERT: 'insert',
};

/** A `SET`/`RESET` (or the `SET` of `ALTER SYSTEM | DATABASE | ROLE`): records and rates the setting. */
function visitSetting(body: Record<string, unknown>, found: Found): void {
  const kind = body['kind'];
  if (kind === 'VAR_RESET_ALL') {
    found.settings.add('all');
    return;
  }
  const name = typeof body['name'] === 'string' ? body['name'].toLowerCase() : '';
  if (kind === 'VAR_SET_MULTI') {
    // SET TRANSACTION … / SET SESSION CHARACTERISTICS AS TRANSACTION …: options as DefElems
    const prefix = name === 'session characteristics' ? 'default_' : '';
    for (const option of asArray(body['args'])) visitTransactionOption(option, prefix, found);
    return;
  }
  if (name === '') return;
  found.settings.add(name);
  const rating = rateSetting(name);
  if (rating === undefined) return;
  // turning a read-only guard on is no risk; anything else about it is
  if (rating.risk === 'high' && READ_ONLY_SETTINGS.has(name) && turnsOn(body['args'])) return;
  raise(found, rating.risk, `${name}: ${rating.why}`);
}

const READ_ONLY_SETTINGS: ReadonlySet<string> = new Set([
  'default_transaction_read_only',
  'transaction_read_only',
]);

/** A transaction option (`READ WRITE`, `ISOLATION LEVEL …`) of `BEGIN`, `SET TRANSACTION`, `SET SESSION …`. */
function visitTransactionOption(option: unknown, prefix: string, found: Found): void {
  const defname = field(option, 'DefElem', 'defname');
  if (typeof defname !== 'string') return;
  const name = prefix + defname;
  found.settings.add(name);
  if (defname !== 'transaction_read_only') return;
  // READ ONLY is `ival: 1`; READ WRITE is `ival: 0`, which the parse tree writes as an empty object
  if (field(option, 'DefElem', 'arg', 'A_Const', 'ival', 'ival') === 1) return;
  const rating = rateSetting(name);
  if (rating !== undefined) raise(found, rating.risk, `${name}: ${rating.why}`);
}

/** True when `SET x = on | true | yes | 1` (how a boolean setting is turned on). */
function turnsOn(args: unknown): boolean {
  const list = asArray(args);
  if (list.length !== 1) return false;
  const constant = field(list[0], 'A_Const');
  const text = field(field(constant, 'sval'), 'sval');
  if (typeof text === 'string') return ['on', 'true', 'yes', '1'].includes(text.toLowerCase());
  return field(field(constant, 'ival'), 'ival') === 1;
}

/** A function call: records its name, rates it, and for `set_config` the setting it changes. */
function visitCall(call: Record<string, unknown>, found: Found): void {
  const parts = asArray(call['funcname']).map(stringValue);
  const name = renderName(parts);
  if (name === '') return;
  found.functions.add(name);
  const last = parts[parts.length - 1];
  const bare = typeof last === 'string' ? last : '';
  const args = asArray(call['args']);
  const rating = rateFunction(bare, args.length);
  if (rating !== undefined) raise(found, rating.risk, `${bare}(): ${rating.why}`);
  if (bare === 'set_config') {
    const setting = literalString(args[0]);
    if (setting === undefined) {
      raise(found, 'critical', 'set_config(): the setting it changes is computed, so it cannot be rated');
    } else visitSetting({ kind: 'VAR_SET_VALUE', name: setting, args: args.slice(1, 2) }, found);
  }
}

/** The value of a string literal, also through casts (`'x'::text`); undefined for anything computed. */
function literalString(node: unknown): string | undefined {
  const cast = field(node, 'TypeCast', 'arg');
  if (cast !== undefined) return literalString(cast);
  const value = field(field(field(node, 'A_Const'), 'sval'), 'sval');
  return typeof value === 'string' ? value : undefined;
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

/** `catalog.schema.table` from a RangeVar, each part rendered as {@link renderName} renders it. */
function relationName(rangeVar: Record<string, unknown>): string {
  return renderName(['catalogname', 'schemaname', 'relname'].map((k) => rangeVar[k]));
}

/**
 * A name as PostgreSQL reads it, so that distinct objects stay distinct facts. The parser has already folded
 * unquoted identifiers to lower case; a part that unquoted text could have produced (lower-case ASCII letters,
 * digits, `_`, `$`, non-ASCII; not starting with a digit or `$`) is written bare, any other part in double
 * quotes with `"` doubled (`"ORDERS"`, `"a.b"`, `"My Table"`), and parts are joined with `.`. So `ORDERS`,
 * `orders` and `"orders"` are `orders`; `"Orders"` is `"Orders"`; `"a.b"` and `a.b` differ. Empty and
 * non-string parts are skipped.
 */
export function renderName(parts: readonly unknown[]): string {
  return parts
    .filter((part): part is string => typeof part === 'string' && part !== '')
    .map((part) => (BARE_IDENTIFIER.test(part) ? part : `"${part.replace(/"/g, '""')}"`))
    .join('.');
}

const BARE_IDENTIFIER = /^[a-z_\u0080-\u{10ffff}][a-z0-9_$\u0080-\u{10ffff}]*$/u;

/** `{ String: { sval } }` → sval. */
function stringValue(item: unknown): unknown {
  return field(item, 'String', 'sval');
}

/** Reads `node[a][b]…` through objects, undefined as soon as a step is missing. */
function field(node: unknown, ...keys: string[]): unknown {
  let value = node;
  for (const key of keys) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}
