/**
 * Server settings whose change alters what later SQL means, rated by how much. Changed by `SET`, `SET LOCAL`,
 * `RESET`, `ALTER SYSTEM | DATABASE | ROLE … SET`, `set_config('name', …)`; listed in `sql.settings`.
 * docs/classifiers.md carries the same table; keep the two in step.
 */
import type { RiskLevel } from '../types.js';

/** A rated setting: its risk floor and why (the text of the `sql.warnings` fact). */
export interface SettingRating {
  readonly risk: RiskLevel;
  readonly why: string;
}

const LEXING: SettingRating = {
  risk: 'critical',
  why:
    'changes how the server lexes later sql (strings, escapes, multibyte characters); the kernel lexes ' +
    'with the defaults, so later requests could be classified differently from how the server runs them',
};
const NAMES: SettingRating = {
  risk: 'high',
  why: 'redirects unqualified table and function names in later sql to other schemas',
};
const TRIGGERS: SettingRating = {
  risk: 'high',
  why: 'stops ordinary triggers, rules and foreign-key checks (audit and integrity) from firing',
};
const PRIVILEGES: SettingRating = { risk: 'high', why: "switches the session's role" };
const READ_ONLY: SettingRating = {
  risk: 'high',
  why: 'can lift a read-only transaction that an executor relies on',
};
const MEANING: SettingRating = {
  risk: 'high',
  why: 'changes what later sql means (`x = NULL` matches nulls) or weakens server safety checks',
};
const LIBRARIES: SettingRating = {
  risk: 'critical',
  why: 'makes the server load shared libraries (code the kernel cannot see)',
};
const LOGGING: SettingRating = { risk: 'high', why: 'changes what the server logs (audit trail)' };

const SETTINGS: ReadonlyMap<string, SettingRating> = new Map([
  ['standard_conforming_strings', LEXING],
  ['backslash_quote', LEXING],
  ['client_encoding', LEXING],
  ['search_path', NAMES],
  ['session_replication_role', TRIGGERS],
  ['role', PRIVILEGES],
  ['session_authorization', PRIVILEGES],
  ['default_transaction_read_only', READ_ONLY],
  ['transaction_read_only', READ_ONLY],
  ['transform_null_equals', MEANING],
  ['allow_system_table_mods', MEANING],
  ['lo_compat_privileges', MEANING],
  ['session_preload_libraries', LIBRARIES],
  ['local_preload_libraries', LIBRARIES],
  ['shared_preload_libraries', LIBRARIES],
  ['dynamic_library_path', LIBRARIES],
  ['jit_provider', LIBRARIES],
  ['log_statement', LOGGING],
  ['log_min_duration_statement', LOGGING],
  ['log_min_messages', LOGGING],
  ['log_min_error_statement', LOGGING],
  ['log_connections', LOGGING],
  ['log_disconnections', LOGGING],
]);

/** The rating of a setting (lower-case name), undefined when changing it does not change what SQL means. */
export function rateSetting(name: string): SettingRating | undefined {
  return SETTINGS.get(name);
}
