/**
 * The slice of `mvdan-sh` (the GopherJS build of mvdan/sh's `syntax` package) the shell classifier uses.
 * Nodes are Go structs seen from JavaScript: fields are read as properties; `NodeType` names the Go type.
 */
declare module 'mvdan-sh' {
  /** Any syntax-tree node; fields depend on its `NodeType`. */
  export interface ShNode {
    readonly [field: string]: unknown;
  }
  /** A parser for one language variant. */
  export interface ShParser {
    /** Parses a whole script; throws a Go `ParseError` (with an `Error()` method) on bad syntax. */
    Parse(src: string, name: string): ShNode;
  }
  /** The `syntax` package. */
  export interface Syntax {
    NewParser(...options: unknown[]): ShParser;
    Variant(lang: unknown): unknown;
    readonly LangBash: unknown;
    /** Calls `visit` for every node, depth first; returning false skips a node's children. */
    Walk(node: ShNode, visit: (node: ShNode | null) => boolean): void;
    NodeType(node: ShNode): string;
  }
  const sh: { readonly syntax: Syntax };
  export default sh;
}
