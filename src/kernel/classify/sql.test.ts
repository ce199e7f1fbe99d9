import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classify } from './index.js';

const sql = (text: unknown, dialect?: unknown) =>
  classify({
    agent: 'a',
    action: 'sql.query',
    args: dialect === undefined ? { sql: text } : { sql: text, dialect },
  });
const ok = (text: string) => {
  const c = sql(text);
  expect(c.facts['sql.error'], `unexpected error for ${text}`).toBeUndefined();
  return c;
};
const statements = (text: string) => ok(text).facts['sql.statements'];
const tables = (text: string) => ok(text).facts['sql.tables'];

describe('sql classifier', () => {
  it.each([
    ['SELECT * FROM users', ['select']],
    ['select 1; DrOp table foo', ['drop', 'select']],
    ['DELETE/**/FROM users', ['delete']],
    ['DeLeTe/* x */FrOm users', ['delete']],
    ['SELECT 1 -- ; DROP TABLE x', ['select']],
    ['SELECT 1 /* ; DROP TABLE x */', ['select']],
    ['SELECT /* /* nested */ ; DROP TABLE x; */ 1', ['select']],
    ["SELECT 'DROP TABLE x; DELETE FROM y'", ['select']],
    ['SELECT $$ DROP TABLE x $$', ['select']],
    ["SELECT $tag$ '; DROP TABLE x; --' $tag$", ['select']],
    ['SELECT "drop table x" FROM t', ['select']],
    ["SELECT E'a\\'; DROP TABLE y; --'", ['select']],
    // standard_conforming_strings: a backslash does not escape the quote, so the DROP is real
    ["SELECT 'a\\'; DROP TABLE x; --'", ['drop', 'select']],
    ['SELECT 1 -- comment\n; DELETE FROM q', ['delete', 'select']],
    ['WITH x AS (DELETE FROM users RETURNING *) SELECT * FROM x', ['delete', 'select']],
    [
      'WITH a AS (INSERT INTO t VALUES (1) RETURNING id) DELETE FROM b WHERE id IN (SELECT id FROM a)',
      ['delete', 'insert', 'select'],
    ],
    ['WITH RECURSIVE r AS (SELECT 1 UNION ALL SELECT n FROM r) UPDATE t SET a = 1', ['select', 'update']],
    ['INSERT INTO a SELECT * FROM b', ['insert', 'select']],
    ['SELECT * FROM (SELECT * FROM s.t) q WHERE id IN (SELECT id FROM u)', ['select']],
    ['EXPLAIN ANALYZE DELETE FROM t', ['delete', 'explain']],
    ['CREATE TABLE s.t (a int)', ['create']],
    ['CREATE VIEW v AS SELECT * FROM t', ['create', 'select']],
    ['CREATE TABLE n AS SELECT * FROM o', ['create', 'select']],
    ['SELECT * INTO n FROM o', ['create', 'select']],
    ['UPDATE t SET a = 1 FROM u WHERE t.id = u.id', ['update']],
    ['MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE', ['delete', 'merge']],
    ['TRUNCATE a, b', ['truncate']],
    ['ALTER TABLE t ADD COLUMN c int', ['alter']],
    ['ALTER TABLE a RENAME TO b', ['alter']],
    ['ALTER ROLE bob SUPERUSER', ['alter']],
    ['GRANT SELECT ON t TO bob', ['grant']],
    ['GRANT admin TO bob', ['grant']],
    ['REVOKE ALL ON t FROM bob', ['revoke']],
    ['DROP DATABASE prod', ['drop']],
    ['CREATE RULE r AS ON SELECT TO t DO INSTEAD DELETE FROM u', ['create', 'delete']],
    ['CREATE FUNCTION f() RETURNS void LANGUAGE sql BEGIN ATOMIC DELETE FROM t; END', ['create', 'delete']],
    ["COPY t FROM '/etc/passwd'", ['copy', 'insert']],
    ["COPY t TO '/tmp/x'", ['copy']],
    ['BEGIN; SELECT 1; COMMIT', ['select', 'transaction']],
    ['SET search_path TO evil', ['set']],
    ['SHOW ALL', ['show']],
    ['VACUUM t', ['vacuum']],
    ['ANALYZE t', ['analyze']],
    ['LOCK TABLE t', ['lock']],
    ['PREPARE p AS DELETE FROM t; EXECUTE p', ['delete', 'execute', 'prepare']],
  ])('%j has statements %j', (text, expected) => {
    expect(statements(text)).toEqual(expected);
  });

  it.each([
    ['SELECT * FROM Users u JOIN "Orders" o ON true', ['"Orders"', 'users']],
    ['SELECT * FROM s.t, c.s.t2', ['c.s.t2', 's.t']],
    ['DELETE FROM public.users WHERE id IN (SELECT id FROM banned)', ['banned', 'public.users']],
    ['INSERT INTO audit SELECT * FROM secrets', ['audit', 'secrets']],
    ['DROP TABLE s.a, b', ['b', 's.a']],
    ['DROP VIEW v', ['v']],
    ['TRUNCATE a, B', ['a', 'b']],
    ['ALTER TABLE x DROP COLUMN y', ['x']],
    ['GRANT ALL ON accounts TO bob', ['accounts']],
    ["COPY secrets TO '/tmp/x'", ['secrets']],
    ['SELECT 1 FROM t; SELECT 2 FROM t', ['t']],
    ['WITH x AS (DELETE FROM users RETURNING *) SELECT * FROM x', ['users', 'x']],
    ['SELECT 1', []],
  ])('%j touches tables %j', (text, expected) => {
    expect(tables(text)).toEqual(expected);
  });

  it('lists called functions, schema-qualified as written', () => {
    expect(ok('SELECT count(*), pg_catalog.lower(a) FROM t').facts['sql.functions']).toEqual([
      'count',
      'pg_catalog.lower',
    ]);
  });

  it.each([
    ['SELECT * FROM t', 'low'],
    ['SELECT 1; SHOW ALL; EXPLAIN SELECT 1', 'low'],
    ['BEGIN; SELECT 1; COMMIT', 'low'],
    ['INSERT INTO t VALUES (1)', 'medium'],
    ['UPDATE t SET a = 1', 'medium'],
    ['CREATE TABLE t (a int)', 'medium'],
    ['SELECT 1; INSERT INTO t VALUES (1)', 'medium'],
    ['DELETE FROM t', 'high'],
    ['WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x', 'high'],
    ['DROP TABLE t', 'high'],
    ['TRUNCATE t', 'high'],
    ['ALTER TABLE t ADD c int', 'high'],
    ['GRANT ALL ON t TO bob', 'high'],
    ['REVOKE ALL ON t FROM bob', 'high'],
    ["COPY t TO '/tmp/x'", 'critical'],
    ['COPY t TO STDOUT', 'high'],
    ['VACUUM FULL', 'high'],
    ["SELECT pg_read_file('/etc/passwd')", 'critical'],
    ['CREATE FUNCTION f() RETURNS int AS $$ DELETE FROM t RETURNING 1 $$ LANGUAGE sql', 'high'],
    ['CREATE TRIGGER t AFTER INSERT ON x EXECUTE FUNCTION f()', 'high'],
    ['CREATE EXTENSION dblink', 'high'],
    ['SET ROLE admin', 'high'],
    ['SET SESSION AUTHORIZATION bob', 'high'],
    ['SET search_path TO public', 'high'],
    ["SET statement_timeout = '5s'", 'medium'],
    ["SELECT pg_catalog.pg_read_file('/etc/passwd')", 'critical'],
    ["COPY t FROM PROGRAM 'rm -rf /'", 'critical'],
    ['DO $$ BEGIN DROP TABLE x; END $$', 'critical'],
    ['EXECUTE p', 'critical'],
    ["LOAD '/tmp/evil.so'", 'critical'],
    ["SELECT query_to_xml('DELETE FROM t', true, true, '')", 'critical'],
  ])('%j is %s risk', (text, risk) => {
    expect(sql(text).risk).toBe(risk);
  });

  it.each([
    ['a syntax error', 'SELEC 1'],
    ['an unterminated string', "SELECT 'abc"],
    ['MySQL-only syntax', 'SELECT 1 /*!50000 ; DROP TABLE x */ FROM DUAL LIMIT 1, 2'],
    ['a nul byte hiding a second statement', 'SELECT 1\0; DROP TABLE x'],
    ['an empty string', ''],
    ['only a comment', '-- nothing'],
    ['input over 64 KiB', 'SELECT 1;'.repeat(8000)],
    ['nesting deeper than the parser allows', 'SELECT ' + '('.repeat(20_000) + '1' + ')'.repeat(20_000)],
  ])('fails closed on %s', (_label, text) => {
    const c = sql(text);
    expect(c.risk).toBe('critical');
    expect(typeof c.facts['sql.error']).toBe('string');
    expect(c.facts['sql.error']).not.toContain('\n');
  });

  it('still parses after the parser refused an input', () => {
    sql('SELECT ' + '('.repeat(20_000) + '1' + ')'.repeat(20_000));
    expect(statements('DELETE FROM t')).toEqual(['delete']);
  });

  it.each([[42], [null], [['SELECT 1']], [{ toString: () => 'SELECT 1' }], [undefined]])(
    'fails closed on non-string sql %j',
    (value) => {
      const c = sql(value);
      expect(c.risk).toBe('critical');
      expect(c.facts['sql.error']).toMatch(/^sql is /);
    },
  );

  it('accepts postgresql dialect names and refuses others', () => {
    expect(sql('DELETE FROM t', 'PostgreSQL').facts['sql.statements']).toEqual(['delete']);
    expect(sql('DELETE FROM t', 'pg').facts['sql.statements']).toEqual(['delete']);
    const mysql = sql('SELECT 1', 'mysql');
    expect(mysql.risk).toBe('critical');
    expect(mysql.facts['sql.error']).toBe(
      'sql dialect `mysql` is not supported: only postgresql can be parsed',
    );
    expect(sql('SELECT 1', 7).risk).toBe('critical');
  });

  it('classifies every sql.* action and reads only own arguments', () => {
    const c = classify({ agent: 'a', action: 'sql.execute', args: { sql: 'DROP TABLE t' } });
    expect(c.facts['sql.statements']).toEqual(['drop']);
    const inherited = classify({ agent: 'a', action: 'sql.query', args: Object.create({ sql: 'SELECT 1' }) });
    expect(inherited.risk).toBe('critical');
  });

  it('never throws and never rates arbitrary text low unless it parsed as reads', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const c = sql(text);
        if (c.risk === 'low') expect(c.facts['sql.statements']).toEqual(expect.arrayContaining(['select']));
        expect(JSON.parse(JSON.stringify(c.facts))).toEqual(c.facts);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on sql-flavoured text', () => {
    const token = fc.constantFrom(
      'SELECT', 'DELETE', 'FROM', 'WITH', 'x', 'AS', '(', ')', ';', "'", '$$', '--', '/*', '*/', '\n', ' ', 'RETURNING',
      '*', 'INSERT', 'INTO', 'VALUES', 'DROP', 'TABLE', '"', 'E\'', '\\', ',', 'DO', 'COPY', 'PROGRAM',
    ); // prettier-ignore
    fc.assert(
      fc.property(fc.array(token, { maxLength: 30 }), (tokens) => {
        const c = sql(tokens.join(' '));
        expect(['low', 'medium', 'high', 'critical']).toContain(c.risk);
        if (c.facts['sql.statements'] === undefined) expect(c.risk).toBe('critical');
      }),
      { numRuns: 300 },
    );
  });
});
