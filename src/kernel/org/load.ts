/**
 * Loads `org.yaml`: parse with positions → check shape (zod) → check meaning (`orgIssues`) → build. Every
 * problem of the file is reported at once, each at `file:line:col`. Pure: the caller reads the file.
 */
import { AgentOsError } from '../errors.js';
import type { Problem } from '../errors.js';
import { parseYamlSource, validateDocument } from '../source/yaml-source.js';
import type { SourceDocument } from '../source/yaml-source.js';
import { assembleOrg } from './build.js';
import type { OrgData } from './data.js';
import type { Org } from './model.js';
import { orgSchema } from './schema.js';
import type { OrgDocument } from './schema.js';
import { orgIssues } from './validate.js';
import type { OrgIssue } from './validate.js';

/**
 * Parses and validates an organisation document. Throws `AOS_YAML_SYNTAX` when the YAML is not well-formed,
 * else `AOS_ORG_INVALID` with every schema and reference problem, sorted by place. Never throws anything but
 * an AgentOsError for bad input.
 *
 * @example
 * const org = parseOrg(await readFile('org.yaml', 'utf8'), 'org.yaml');
 */
export function parseOrg(text: string, file: string): Org {
  const parsed = parseYamlSource(text, file);
  if (parsed.problems.length > 0) throw AgentOsError.fromProblems('AOS_YAML_SYNTAX', parsed.problems);
  const [doc, extra] = parsed.documents;
  if (!doc) invalid([{ message: 'the organisation file is empty', place: { file, line: 1, col: 1 } }]);
  if (extra) {
    invalid([{ message: 'an organisation file holds exactly one document', place: extra.placeOf([]) }]);
  }
  const checked = validateDocument(doc, orgSchema);
  // meaning is checked even when the shape is not, so one run reports everything
  const problems = [
    ...(checked.ok ? [] : checked.problems),
    ...orgIssues(doc.data).map((i) => placed(doc, i)),
  ];
  if (!checked.ok || problems.length > 0) invalid(problems);
  return assembleOrg(orgData(checked.value));
}

function orgData(value: OrgDocument): OrgData {
  const { metadata, departments, people, agents } = value;
  return {
    name: metadata.name,
    description: metadata.description,
    labels: metadata.labels,
    departments,
    people,
    agents,
  };
}

function placed(doc: SourceDocument, issue: OrgIssue): Problem {
  const see = issue.see === undefined ? '' : ` (see line ${doc.placeOf(issue.see).line})`;
  return { message: issue.message + see, place: doc.placeOf(issue.path) };
}

function invalid(problems: Problem[]): never {
  // stable: problems on one line keep their order (schema first, then meaning)
  const sorted = [...problems].sort(
    (a, b) => (a.place?.line ?? 0) - (b.place?.line ?? 0) || (a.place?.col ?? 0) - (b.place?.col ?? 0),
  );
  throw AgentOsError.fromProblems('AOS_ORG_INVALID', sorted);
}
