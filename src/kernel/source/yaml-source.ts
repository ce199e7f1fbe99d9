/**
 * YAML documents with source positions: every problem found in a document (syntax, schema, references)
 * is reported at `file:line:col`. Pure: the caller reads the file and hands over its text.
 */
import { LineCounter, isMap, isNode, isPair, isScalar, parseAllDocuments } from 'yaml';
import type { Document, Node } from 'yaml';
import type { z } from 'zod';
import type { Problem, SourcePlace } from '../errors.js';

/** A path into a parsed document: object keys and array indices. */
export type DocPath = readonly (string | number)[];

/** One YAML document of a source file, with the means to locate any path in it. */
export interface SourceDocument {
  readonly file: string;
  /** The plain data (`undefined` for an empty document). */
  readonly data: unknown;
  /** The place of the value at `path` (or of its nearest existing ancestor). */
  placeOf(path: DocPath): SourcePlace;
  /** The place of the key `key` in the mapping at `path` (falls back to the mapping itself). */
  placeOfKey(path: DocPath, key: string): SourcePlace;
}

/** The documents of one YAML file, or its syntax problems. */
export interface ParsedSource {
  readonly documents: readonly SourceDocument[];
  readonly problems: readonly Problem[];
}

/** Parses a YAML file (one or more `---` documents), keeping positions. Never throws for bad input. */
export function parseYamlSource(text: string, file: string): ParsedSource {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const place = (offset: number): SourcePlace => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
  // parseAllDocuments returns an EmptyStream (an array) for empty input
  const list: Document.Parsed[] = Array.isArray(docs) ? docs : [];
  const problems: Problem[] = [];
  for (const doc of list) {
    for (const e of [...doc.errors, ...doc.warnings]) {
      problems.push({ message: yamlMessage(e.message), place: place(e.pos[0]) });
    }
  }
  if (problems.length > 0) return { documents: [], problems };
  const documents: SourceDocument[] = [];
  for (const doc of list) {
    if (doc.contents === null) continue;
    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      // unresolved aliases and alias bombs surface only when the document is converted
      problems.push({
        message: yamlMessage((e as Error).message),
        place: place(doc.contents.range?.[0] ?? 0),
      });
      continue;
    }
    documents.push(toSourceDocument(doc, data));
  }
  return problems.length > 0 ? { documents: [], problems } : { documents, problems };

  function toSourceDocument(doc: Document.Parsed, data: unknown): SourceDocument {
    const nodeAt = (path: DocPath): Node | undefined => {
      for (let n = path.length; n >= 0; n--) {
        const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
        if (isNode(node) && node.range) return node;
      }
      return undefined;
    };
    const placeOf = (path: DocPath): SourcePlace => place(nodeAt(path)?.range?.[0] ?? 0);
    return {
      file,
      data,
      placeOf,
      placeOfKey(path, key) {
        const map = path.length === 0 ? doc.contents : doc.getIn(path, true);
        if (isMap(map)) {
          for (const pair of map.items) {
            if (isPair(pair) && isScalar(pair.key) && String(pair.key.value) === key && pair.key.range) {
              return place(pair.key.range[0]);
            }
          }
        }
        return placeOf(path);
      },
    };
  }
}

function yamlMessage(message: string): string {
  // the yaml library's messages are sentences ("Map keys must be unique"); make them ours
  const first = message.split('\n')[0] ?? message;
  return ('yaml: ' + first.charAt(0).toLowerCase() + first.slice(1)).replace(/\.$/, '');
}

/** Formats a document path as `agents[0].autonomy`. */
export function formatPath(path: DocPath): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out === '' ? '(document)' : out;
}

/** Reads the value at `path` in plain data. */
export function valueAt(data: unknown, path: DocPath): unknown {
  let cur = data;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/** Shows a user value inside a message, in backticks, shortened. */
export function show(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return '`' + (text.length > 60 ? text.slice(0, 57) + '...' : text) + '`';
}

/**
 * Validates a document's data against a zod schema; each issue becomes a problem in our words, at its place.
 * Returns the parsed value, or the problems.
 */
export function validateDocument<T>(
  doc: SourceDocument,
  schema: z.ZodType<T>,
): { ok: true; value: T } | { ok: false; problems: Problem[] } {
  const result = schema.safeParse(doc.data);
  if (result.success) return { ok: true, value: result.data };
  const problems = result.error.issues.map((issue) => issueProblem(doc, issue));
  return { ok: false, problems };
}

function issueProblem(doc: SourceDocument, issue: z.core.$ZodIssue): Problem {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const where = formatPath(path);
  const actual = valueAt(doc.data, path);
  if (actual === undefined && issue.code !== 'unrecognized_keys' && path.length > 0) {
    const last = path[path.length - 1];
    return {
      message:
        `missing required field \`${String(last)}\`` +
        (path.length > 1 ? ` in \`${formatPath(path.slice(0, -1))}\`` : ''),
      place: doc.placeOf(path),
    };
  }
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0] ?? '';
      const names = issue.keys.map((k) => '`' + k + '`').join(', ');
      return {
        message: `unknown field${issue.keys.length > 1 ? 's' : ''} ${names} in \`${where}\``,
        place: doc.placeOfKey(path, key),
      };
    }
    case 'invalid_type':
      return {
        message: `\`${where}\` must be ${article(issue.expected)}, got ${show(actual)}`,
        place: doc.placeOf(path),
      };
    case 'invalid_value':
      return {
        message: `\`${where}\` must be one of ${issue.values.map((v) => String(v)).join(', ')}, got ${show(actual)}`,
        place: doc.placeOf(path),
      };
    case 'invalid_union':
      return {
        message: `\`${where}\` is not valid here: ${show(actual)}${unionHint(issue)}`,
        place: doc.placeOf(path),
      };
    default:
      return { message: `\`${where}\`: ${lowerFirst(issue.message)}`, place: doc.placeOf(path) };
  }
}

function unionHint(issue: z.core.$ZodIssueInvalidUnion): string {
  const inner = issue.errors.flat()[0];
  return inner && inner.code === 'custom' ? ` (${inner.message})` : '';
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1).replace(/\.$/, '');
}
