/**
 * Arithmetic contexts in the syntax tree: `(( ))`, `$(( ))`, `let`, `for (( ; ; ))`, `[[ x -eq y ]]`, array
 * subscripts (`a[i]=…`, `${a[i]}`, `([i]=…)`), `${s:offset:length}`, and the variable names of `[[ -v ]]`.
 * Bash expands the text of these and evaluates it as an expression, running command substitutions inside any
 * array subscript it meets, even in text that was quoted on the command line (`(( 'a[$(rm -rf /)]' ))`).
 *
 * Checked here (see `shell-vars.ts` for variable values): the output of a command substitution evaluated
 * as arithmetic (`$(( $(cat f) ))`) and `${!x}` are dynamic; so is a `$` or backtick in quoted text, and any
 * `$` expansion inside a subscript (`a[$k]`, `${a[$i]}`, `arr[$i]=x`), whatever `$k` holds: conservative on
 * purpose (a subscript is where the code runs), at the price of refusing `declare -A m; m[$k]=1` too.
 */
import { quote } from './result.js';
import type { ShNode } from './shell-parser.js';
import { nodeType, parseShell } from './shell-parser.js';
import { asNodes, decodeAnsiC, wordOf } from './shell-words.js';
import type { VarFindings } from './shell-vars.js';
import { assign, assignedValue, checkArithText, checkName, evaluates } from './shell-vars.js';

/** The parser's operator code for a `[[ ]]` test, found by parsing it (codes are not part of its API). */
function testOperator(src: string): unknown {
  const tree = parseShell(src).tree;
  const stmt = asNodes(tree?.['Stmts'])[0];
  return ((stmt?.['Cmd'] as ShNode | undefined)?.['X'] as ShNode | undefined)?.['Op'];
}

/** `[[ ]]` operators that evaluate both operands as arithmetic. */
const ARITHMETIC_TESTS: ReadonlyMap<unknown, string> = new Map(
  ['-eq', '-ne', '-lt', '-le', '-gt', '-ge'].map((op) => [testOperator(`[[ a ${op} b ]]`), op]),
);
const VARIABLE_TEST = testOperator('[[ -v a ]]');

/** Special parameters that always hold a number or option letters. */
const NUMERIC_PARAMETERS: ReadonlySet<string> = new Set(['#', '?', '$', '!', '-']);

const SUBSCRIPT = 'a subscript';

/** Checks what bash evaluates as arithmetic in one node; called for every node of every parsed script. */
export function checkArithmetic(node: ShNode, found: VarFindings): void {
  switch (nodeType(node)) {
    case 'ArithmCmd':
      expression(node['X'], quote('(( ))'), found, false);
      break;
    case 'ArithmExp':
      expression(node['X'], quote('$(( ))'), found, false);
      break;
    case 'LetClause':
      for (const e of asNodes(node['Exprs'])) expression(e, quote('let'), found, false);
      break;
    case 'CStyleLoop':
      for (const key of ['Init', 'Cond', 'Post']) expression(node[key], quote('for (( ))'), found, false);
      break;
    case 'WordIter': {
      // `for x in …` and `select x in …` assign each word (or the positional parameters) to x
      const name = String((node['Name'] as ShNode | null)?.['Value'] ?? '');
      const items = asNodes(node['Items']).map(wordOf);
      const literal = items.length > 0 && items.every((w) => !w.dynamic && /^[0-9]+$/.test(w.value));
      if (name !== '') assign(name, literal ? '0' : undefined, found);
      break;
    }
    case 'BinaryTest': {
      const op = ARITHMETIC_TESTS.get(node['Op']);
      if (op === undefined) break;
      expression(node['X'], quote(`[[ ${op} ]]`), found, false);
      expression(node['Y'], quote(`[[ ${op} ]]`), found, false);
      break;
    }
    case 'UnaryTest':
      if (node['Op'] === VARIABLE_TEST && nodeType(node['X'] as ShNode) === 'Word') {
        checkName(wordOf(node['X'] as ShNode), quote('[[ -v ]]'), found);
      }
      break;
    case 'ParamExp': {
      const index = node['Index'] as ShNode | null;
      if (index && !isAllElements(index)) expression(index, SUBSCRIPT, found, true);
      const slice = node['Slice'] as ShNode | null;
      for (const part of [slice?.['Offset'], slice?.['Length']]) {
        expression(part, quote('${x:offset:length}'), found, false);
      }
      break;
    }
    case 'Assign': {
      // naked words of declaration builtins are read by `checkDeclClause`
      const name = (node['Name'] as ShNode | null)?.['Value'];
      if (typeof name !== 'string') break;
      expression(node['Index'], SUBSCRIPT, found, true);
      if (node['Naked'] !== true) assign(name, assignedValue(node), found);
      break;
    }
    case 'ArrayElem':
      expression(node['Index'], SUBSCRIPT, found, true);
      break;
  }
}

/** True for a name written without `$` in arithmetic (`a[1]`, parsed as a parameter expansion). */
function isBareName(pe: ShNode): boolean {
  type Pos = { Offset?: () => number } | undefined;
  const dollar = (pe['Dollar'] as Pos)?.Offset?.();
  const name = ((pe['Param'] as ShNode | null)?.['ValuePos'] as Pos)?.Offset?.();
  return dollar !== undefined && dollar === name;
}

/** `${a[@]}`, `${a[*]}`: every element, no arithmetic. */
function isAllElements(index: ShNode): boolean {
  const w = nodeType(index) === 'Word' ? wordOf(index) : undefined;
  return w !== undefined && !w.dynamic && (w.value === '@' || w.value === '*');
}

/** An arithmetic expression tree: operators, parentheses and words. */
function expression(node: unknown, where: string, found: VarFindings, subscript: boolean): void {
  if (node === null || typeof node !== 'object') return;
  const n = node as ShNode;
  switch (nodeType(n)) {
    case 'BinaryArithm':
      expression(n['X'], where, found, subscript);
      expression(n['Y'], where, found, subscript);
      break;
    case 'UnaryArithm':
    case 'ParenArithm':
      expression(n['X'], where, found, subscript);
      break;
    case 'Word': {
      const literal: string[] = [];
      for (const part of asNodes(n['Parts'])) wordPart(part, literal, where, found, subscript);
      checkArithText(literal.join(' '), where, found);
      break;
    }
    default:
      // a `[[ ]]` operand that is itself a test (`[[ (a -eq b) ]]` parses so): its words are visited anyway
      break;
  }
}

/** One part of a word evaluated as arithmetic; literal text is collected, expansions are judged. */
function wordPart(
  part: ShNode,
  literal: string[],
  where: string,
  found: VarFindings,
  subscript: boolean,
): void {
  switch (nodeType(part)) {
    case 'Lit':
      literal.push(String(part['Value']));
      break;
    case 'SglQuoted':
      literal.push(part['Dollar'] === true ? decodeAnsiC(String(part['Value'])) : String(part['Value']));
      break;
    case 'DblQuoted':
      for (const inner of asNodes(part['Parts'])) wordPart(inner, literal, where, found, subscript);
      break;
    case 'ParamExp':
      parameter(part, literal, where, found, subscript);
      break;
    case 'ArithmExp':
      break; // a number; its own expression is checked where the walk meets it
    case 'CmdSubst':
    case 'ProcSubst':
      found.dynamic ??= `${where} evaluates the output of a command substitution as arithmetic`;
      break;
    default:
      found.dynamic ??= `${where} evaluates text computed at run time as arithmetic`;
  }
}

/** A parameter expansion evaluated as arithmetic: its value is evaluated (and, in a subscript, expanded twice). */
function parameter(
  pe: ShNode,
  literal: string[],
  where: string,
  found: VarFindings,
  subscript: boolean,
): void {
  if (pe['Length'] === true) return; // `${#x}` is a number
  const name = String((pe['Param'] as ShNode | null)?.['Value'] ?? '');
  if (pe['Excl'] === true) {
    found.dynamic ??= `${where} evaluates an indirect expansion ${quote('${!' + name + '}')} as arithmetic`;
    return;
  }
  if (NUMERIC_PARAMETERS.has(name)) return;
  if (subscript && !isBareName(pe)) {
    found.dynamic ??= `${where} expands ${quote('$' + name)} at run time, and bash evaluates what it holds`;
    return;
  }
  evaluates(name, where, found);
  // the words of `${x:-word}` and `${x/p/word}` become part of the text evaluated
  const exp = pe['Exp'] as ShNode | null;
  const repl = pe['Repl'] as ShNode | null;
  for (const w of [exp?.['Word'], repl?.['With']]) {
    if (w === null || typeof w !== 'object') continue;
    for (const part of asNodes((w as ShNode)['Parts'])) wordPart(part, literal, where, found, subscript);
  }
}
