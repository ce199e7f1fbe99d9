/**
 * Ports the governor needs from the outside world. Adapters implement them; the composition root
 * (`src/root.ts`) wires them in.
 */
import type { IdSource } from '../kernel/ports.js';

/** Reads policy, org and test sources. Paths are as the user gave them. */
export interface SourceReader {
  /** The text of a file; throws `AOS_IO` when it cannot be read. */
  read(file: string): Promise<string>;
  /**
   * The YAML files (`.yaml`, `.yml`) at a path, sorted: the file itself, or every file below a directory.
   * `tests` selects `*.test.yaml` files only; otherwise they are left out. Throws `AOS_IO` for a missing path.
   */
  listYaml(path: string, options: { tests: boolean }): Promise<string[]>;
  /** Resolves `relative` against the directory that holds `file`. */
  resolveFrom(file: string, relative: string): string;
}

/** Everything the offline policy commands need. */
export interface PolicyPorts {
  readonly reader: SourceReader;
  readonly ids: IdSource;
}
