/**
 * Classification (DESIGN §3 step 3): facts policy can match and a default risk, derived from the raw request
 * with real parsers. Pure and synchronous; the SQL parser's WebAssembly loads once, when this module is
 * imported (top-level await), so importers need no initialisation call.
 */
import type { ActionRequest, Classification } from '../types.js';
import { classifyMcp } from './mcp.js';
import { classifyPath } from './path.js';
import { ownField, unclassifiable } from './result.js';
import { classifyShell } from './shell.js';
import { classifySql } from './sql.js';
import { classifyUrl } from './url.js';
import { memoize } from './memo.js';

export { normalisePath } from './path.js';

const MEMO_ENTRIES = 1024;
const shellMemo = memoize(MEMO_ENTRIES, classifyShell);
const sqlMemo = memoize(MEMO_ENTRIES, (sql) => classifySql(sql, undefined));

/** What an action no classifier speaks about gets: no facts, no risk of its own. */
const UNCLASSIFIED: Classification = Object.freeze({ facts: Object.freeze({}) });

/**
 * Classifies a request by its action: `sql.*` → SQL (`args.sql`, `args.dialect`), `shell.exec` → shell
 * (`args.command`), `file.*` → path (`resource`, else `args.path`), `http.*` → URL (`resource`, else
 * `args.url`), `mcp.*` → the tool's annotations (`context.mcp`); any other action → no facts and no risk of its own (policy risk rules, or `medium`). Never throws: input that cannot be
 * parsed yields a `<classifier>.error` fact and critical risk.
 */
export function classify(request: ActionRequest): Classification {
  const action: unknown = ownField(request, 'action');
  if (typeof action !== 'string') return { facts: {}, risk: 'critical' };
  const namespace = namespaceOf(action);
  try {
    const args = ownField(request, 'args');
    const resource = ownField(request, 'resource');
    switch (namespace) {
      case 'sql': {
        const sql = ownField(args, 'sql');
        const dialect = ownField(args, 'dialect');
        return typeof sql === 'string' && dialect === undefined ? sqlMemo(sql) : classifySql(sql, dialect);
      }
      case 'shell': {
        const command = ownField(args, 'command');
        return typeof command === 'string' ? shellMemo(command) : classifyShell(command);
      }
      case 'path':
        return classifyPath(action, resource, ownField(args, 'path'));
      case 'url':
        return classifyUrl(resource, ownField(args, 'url'));
      case 'mcp':
        return classifyMcp(ownField(request, 'context'));
      default:
        return UNCLASSIFIED;
    }
  } catch (e) {
    // INVARIANT: classification never throws; a classifier bug fails closed
    const message = e instanceof Error ? e.message : String(e);
    return unclassifiable(namespace ?? 'classify', `classifier failed: ${message.split('\n')[0] ?? ''}`);
  }
}

function namespaceOf(action: string): 'sql' | 'shell' | 'path' | 'url' | 'mcp' | undefined {
  if (action.startsWith('sql.')) return 'sql';
  if (action === 'shell.exec') return 'shell';
  if (action.startsWith('file.')) return 'path';
  if (action.startsWith('http.')) return 'url';
  if (action.startsWith('mcp.')) return 'mcp';
  return undefined;
}
