/**
 * Functions with side effects that a plain `SELECT` can call, rated by what they reach. The SQL classifier
 * raises a request's risk to the highest rating among the functions it calls (matched on the last segment
 * of the name, so `pg_catalog.lo_unlink` and `"lo_unlink"` count; `"LO_UNLINK"` names another function).
 * docs/classifiers.md carries the same table; keep the two in step.
 */
import type { RiskLevel } from '../types.js';

/** A rated function: its risk floor and why (the text of the `sql.warnings` fact). */
export interface FunctionRating {
  readonly risk: RiskLevel;
  readonly why: string;
}

const SQL_STRING: FunctionRating = {
  risk: 'critical',
  why: 'runs sql held in a string, which the kernel cannot see',
};
const HIDDEN_TABLES: FunctionRating = {
  risk: 'critical',
  why: 'reads tables named in strings or a whole schema, which sql.tables cannot list',
};
const SERVER_FILES: FunctionRating = {
  risk: 'critical',
  why: "reads or writes the database server's files",
};
const NETWORK: FunctionRating = {
  risk: 'critical',
  why: 'connects from the database server to another server',
};
const WAL_CHANGES: FunctionRating = {
  risk: 'critical',
  why: 'reads every table change from the write-ahead log, which sql.tables cannot list',
};
const SERVER_STATE: FunctionRating = {
  risk: 'high',
  why: 'changes server state: sessions, configuration, logs, replication or backups',
};
const DELETES_DATA: FunctionRating = { risk: 'high', why: 'deletes a large object' };
const SETTING: FunctionRating = {
  risk: 'high',
  why: 'changes a server setting (see sql.settings)',
};
const SLEEPS: FunctionRating = {
  risk: 'high',
  why: 'holds a connection, and any locks its transaction took, for as long as it is asked to',
};
const NOTIFIES: FunctionRating = { risk: 'high', why: 'sends a notification other sessions act on' };
const WRITES: FunctionRating = {
  risk: 'medium',
  why: 'writes: advances or sets a sequence, or writes a large object',
};
const LOCKS: FunctionRating = {
  risk: 'medium',
  why: 'takes or releases an advisory lock other sessions wait on',
};

/** Functions rated by their exact (unqualified) name. */
const BY_NAME: ReadonlyMap<string, FunctionRating> = new Map([
  ['query_to_xml', SQL_STRING],
  ['query_to_xmlschema', SQL_STRING],
  ['query_to_xml_and_xmlschema', SQL_STRING],
  ['ts_stat', SQL_STRING],
  ['pg_stat_file', SERVER_FILES],
  ['lo_import', SERVER_FILES],
  ['lo_export', SERVER_FILES],
  ['lo_unlink', DELETES_DATA],
  ['pg_terminate_backend', SERVER_STATE],
  ['pg_cancel_backend', SERVER_STATE],
  ['pg_reload_conf', SERVER_STATE],
  ['pg_rotate_logfile', SERVER_STATE],
  ['pg_promote', SERVER_STATE],
  ['pg_switch_wal', SERVER_STATE],
  ['pg_create_restore_point', SERVER_STATE],
  ['pg_backup_start', SERVER_STATE],
  ['pg_backup_stop', SERVER_STATE],
  ['pg_wal_replay_pause', SERVER_STATE],
  ['pg_wal_replay_resume', SERVER_STATE],
  ['pg_create_physical_replication_slot', SERVER_STATE],
  ['pg_create_logical_replication_slot', SERVER_STATE],
  ['pg_drop_replication_slot', SERVER_STATE],
  ['pg_replication_slot_advance', SERVER_STATE],
  ['pg_stat_statements_reset', SERVER_STATE],
  ['set_config', SETTING],
  ['pg_sleep', SLEEPS],
  ['pg_sleep_for', SLEEPS],
  ['pg_sleep_until', SLEEPS],
  ['pg_notify', NOTIFIES],
  ['nextval', WRITES],
  ['setval', WRITES],
  ['lo_create', WRITES],
  ['lo_creat', WRITES],
  ['lo_from_bytea', WRITES],
  ['lo_put', WRITES],
  ['lowrite', WRITES],
  ['lo_truncate', WRITES],
  ['lo_truncate64', WRITES],
]);

/** Families rated by a name prefix (`dblink_exec`, `pg_read_binary_file`, `pg_advisory_xact_lock`, …). */
const BY_PREFIX: readonly (readonly [string, FunctionRating])[] = [
  ['dblink', NETWORK],
  ['table_to_xml', HIDDEN_TABLES],
  ['schema_to_xml', HIDDEN_TABLES],
  ['database_to_xml', HIDDEN_TABLES],
  ['pg_read_', SERVER_FILES],
  ['pg_ls_', SERVER_FILES],
  ['pg_file_', SERVER_FILES],
  ['pg_logdir_ls', SERVER_FILES],
  ['pg_logical_slot_', WAL_CHANGES],
  ['pg_copy_', SERVER_STATE], // pg_copy_logical_replication_slot, pg_copy_physical_replication_slot
  ['pg_stat_reset', SERVER_STATE],
  ['pg_advisory_', LOCKS],
  ['pg_try_advisory_', LOCKS],
];

/**
 * The rating of a called function, from the last segment of its name as the parser gives it (unquoted names
 * already folded to lower case) and its argument count; undefined when it is not in the table.
 */
export function rateFunction(name: string, argCount: number): FunctionRating | undefined {
  // ts_rewrite(query, 'SELECT …') runs the SELECT; the three-argument form does not
  if (name === 'ts_rewrite') return argCount === 2 ? SQL_STRING : undefined;
  const exact = BY_NAME.get(name);
  if (exact !== undefined) return exact;
  for (const [prefix, rating] of BY_PREFIX) if (name.startsWith(prefix)) return rating;
  return undefined;
}
