/**
 * The composition root: the one place that constructs adapters and hands them to the governor.
 */
import { FsSourceReader } from './adapters/fs-source.js';
import { UlidSource } from './adapters/ids.js';
import type { PolicyPorts } from './governor/ports.js';

/** Ports for the offline policy commands (lint, eval, explain, test). */
export function offlinePorts(): PolicyPorts {
  return { reader: new FsSourceReader(), ids: new UlidSource() };
}
