/**
 * The meaning of an organisation, beyond its shape: ids are unique, references resolve, the department tree
 * and the manager chain have no cycles, and approvers are active people. Issues carry document paths, so the
 * YAML loader can place them at `file:line:col` and a program building an org can name the entry.
 *
 * Decisions (DESIGN §2, §6):
 * - An agent whose owner is *inactive* loads: that is how an owner's leaving suspends their agents, and the
 *   contract denies such an agent at run time (`contract.owner-inactive`). An owner who is not in `people`
 *   at all is a load error: that is a typo, not a departure.
 * - An *inactive approver* is a load error: `approvers` exists only to say who approves, an inactive person
 *   approves nothing, so the entry is a mistake to fix now rather than an approval that times out later.
 * - An inactive *manager* loads: the manager chain is also history (people who left keep their manager), and
 *   approval routing skips inactive people on its way up the chain.
 * - An agent may not share its id with a person: every ledger record names its actor, and an agent must never
 *   be mistaken for a human (or the reverse).
 */
import { show } from '../source/yaml-source.js';
import type { DocPath } from '../source/yaml-source.js';
import { findCycles } from './cycles.js';

/** One problem with an organisation's meaning, at a path into its data. */
export interface OrgIssue {
  readonly message: string;
  /** Where the problem is: `['agents', 3, 'owner']`. */
  readonly path: DocPath;
  /** Another place the message refers to: the first definition of a duplicate id. */
  readonly see?: DocPath | undefined;
}

type Item = Readonly<Record<string, unknown>>;

interface Entry {
  readonly index: number;
  readonly item: Item;
  readonly id: string;
}

interface Section {
  /** Every entry with a usable id, duplicates included, in document order. */
  readonly entries: readonly Entry[];
  /** The first entry of each id. */
  readonly byId: ReadonlyMap<string, Entry>;
  /** False when the section is not a list (the schema says so): references into it are then not judged. */
  readonly known: boolean;
}

/**
 * Every meaning problem of an organisation, in a stable order. Reads its input defensively, so it can run on
 * data the schema rejected (reporting the remaining problems in the same pass): a value of the wrong type is
 * skipped, since the schema reports it. Linear in the size of the org.
 */
export function orgIssues(data: unknown): OrgIssue[] {
  const issues: OrgIssue[] = [];
  const add = (message: string, path: DocPath, see?: DocPath): void => {
    issues.push(see === undefined ? { message, path } : { message, path, see });
  };
  const departments = readSection(data, 'departments', 'department', add);
  const people = readSection(data, 'people', 'person', add);
  const agents = readSection(data, 'agents', 'agent', add);
  const notADepartment = (id: string): boolean => departments.known && !departments.byId.has(id);
  const notAPerson = (id: string): boolean => people.known && !people.byId.has(id);
  const whyNotAPerson = (id: string): string =>
    agents.byId.has(id) ? 'which is an agent, not a person' : 'who is not in people';

  for (const a of agents.entries) {
    const person = people.byId.get(a.id);
    if (person)
      add(
        `agent ${show(a.id)} has the same id as a person`,
        ['agents', a.index, 'id'],
        ['people', person.index, 'id'],
      );
  }

  for (const { index, item, id } of departments.entries) {
    const parent = str(item['parent']);
    if (parent !== undefined && notADepartment(parent)) {
      add(`department ${show(id)} names parent ${show(parent)}, which is not in departments`, [
        'departments',
        index,
        'parent',
      ]);
    }
    const approvers = item['approvers'];
    if (!Array.isArray(approvers)) continue;
    approvers.forEach((value: unknown, j) => {
      const approver = str(value);
      if (approver === undefined) return;
      const path = ['departments', index, 'approvers', j];
      const person = people.byId.get(approver);
      if (person?.item['active'] === false) {
        add(
          `department ${show(id)} names approver ${show(approver)}, who is inactive and can approve nothing`,
          path,
        );
      } else if (notAPerson(approver)) {
        add(`department ${show(id)} names approver ${show(approver)}, ${whyNotAPerson(approver)}`, path);
      }
    });
  }

  for (const { index, item, id } of people.entries) {
    const department = str(item['department']);
    if (department !== undefined && notADepartment(department)) {
      add(`person ${show(id)} names department ${show(department)}, which is not in departments`, [
        'people',
        index,
        'department',
      ]);
    }
    const manager = str(item['manager']);
    if (manager !== undefined && notAPerson(manager)) {
      add(`person ${show(id)} names manager ${show(manager)}, ${whyNotAPerson(manager)}`, [
        'people',
        index,
        'manager',
      ]);
    }
  }

  for (const { index, item, id } of agents.entries) {
    const owner = str(item['owner']);
    if (owner !== undefined && notAPerson(owner)) {
      add(`agent ${show(id)} names owner ${show(owner)}, ${whyNotAPerson(owner)}`, [
        'agents',
        index,
        'owner',
      ]);
    }
    const department = str(item['department']);
    if (department !== undefined && notADepartment(department)) {
      add(`agent ${show(id)} names department ${show(department)}, which is not in departments`, [
        'agents',
        index,
        'department',
      ]);
    }
  }

  for (const cycle of cyclesOf(departments, 'parent')) {
    const first = cycle[0] ?? '';
    const path = ['departments', departments.byId.get(first)?.index ?? 0, 'parent'];
    add(
      cycle.length === 1
        ? `department ${show(first)} is its own parent`
        : `department cycle: ${chain(cycle)}`,
      path,
    );
  }
  for (const cycle of cyclesOf(people, 'manager')) {
    const first = cycle[0] ?? '';
    const path = ['people', people.byId.get(first)?.index ?? 0, 'manager'];
    add(
      cycle.length === 1 ? `person ${show(first)} is their own manager` : `manager cycle: ${chain(cycle)}`,
      path,
    );
  }
  return issues;
}

function readSection(
  data: unknown,
  key: string,
  noun: string,
  add: (message: string, path: DocPath, see?: DocPath) => void,
): Section {
  const list = isRecord(data) ? data[key] : undefined;
  const entries: Entry[] = [];
  const byId = new Map<string, Entry>();
  if (Array.isArray(list)) {
    list.forEach((item: unknown, index) => {
      if (!isRecord(item)) return;
      const id = str(item['id']);
      if (id === undefined) return;
      const entry: Entry = { index, item, id };
      entries.push(entry);
      const first = byId.get(id);
      if (first)
        add(`${noun} ${show(id)} is defined more than once`, [key, index, 'id'], [key, first.index, 'id']);
      else byId.set(id, entry);
    });
  }
  return { entries, byId, known: list === undefined || Array.isArray(list) };
}

function cyclesOf(section: Section, field: string): string[][] {
  return findCycles(
    section.entries.map((e) => e.id),
    (id) => str(section.byId.get(id)?.item[field]),
  );
}

function chain(cycle: readonly string[]): string {
  return [...cycle, cycle[0] ?? ''].map((id) => show(id)).join(' → ');
}

function isRecord(value: unknown): value is Item {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
