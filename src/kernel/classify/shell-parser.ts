/**
 * The shell parser: mvdan/sh's `syntax` package (the parser behind `shfmt`) in its synchronous GopherJS build,
 * `mvdan-sh`, in bash mode. Loading it has two global side effects: it sets `Error.stackTraceLimit` to
 * `Infinity` (undone here) and defines `globalThis.require` (left: its runtime needs it).
 */
// INVARIANT: this import must stay first: it records the stack trace limit before mvdan-sh changes it
import { savedStackTraceLimit } from './stack-trace-limit.js';
import sh from 'mvdan-sh';
import type { ShNode } from 'mvdan-sh';

Error.stackTraceLimit = savedStackTraceLimit;

const { syntax } = sh;

// INVARIANT: one parser serves every parse: parses never overlap (the kernel is synchronous and a nested
// `sh -c` string is parsed only after the enclosing parse has returned)
const parser = syntax.NewParser(syntax.Variant(syntax.LangBash));

export type { ShNode };

/** What parsing a script gives: its syntax tree, or the parser's one-line error message. */
export type ShellParse = { readonly tree: ShNode } | { readonly tree?: undefined; readonly error: string };

/** Parses a bash script. Never throws. */
export function parseShell(src: string): ShellParse {
  try {
    return { tree: parser.Parse(src, '') };
  } catch (e) {
    // Go errors arrive as objects with an `Error()` method; stack exhaustion on deep nesting as RangeError
    const goError = e as { Error?: () => string } | null;
    const message =
      typeof goError?.Error === 'function' ? goError.Error() : e instanceof Error ? e.message : String(e);
    return { error: message.split('\n')[0] ?? 'unknown error' };
  }
}

/** The Go type name of a node (`CallExpr`, `Word`, `Lit`, …). */
export function nodeType(node: ShNode): string {
  return syntax.NodeType(node);
}

/** Every node of a tree, depth first, in source order. */
export function allNodes(root: ShNode): ShNode[] {
  const out: ShNode[] = [];
  const visit = (node: ShNode | null): boolean => {
    if (node === null) return true;
    out.push(node);
    // INVARIANT: mvdan-sh 0.10's Walk skips `${x:offset:length}`; `${x:$(rm -rf /)}` runs `rm` all the same
    if (syntax.NodeType(node) === 'ParamExp') {
      const slice = node['Slice'] as ShNode | null | undefined;
      for (const part of [slice?.['Offset'], slice?.['Length']]) {
        if (part !== null && typeof part === 'object') syntax.Walk(part as ShNode, visit);
      }
    }
    return true;
  };
  syntax.Walk(root, visit);
  return out;
}
