/**
 * The CLI's view of its process: streams and environment, passed in so commands are testable in-process.
 */
import type { Readable, Writable } from 'node:stream';

/** Standard streams and environment of one CLI invocation. */
export interface CliIo {
  readonly stdin: Readable;
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

/** Writes text (or bytes) to a stream, waiting when it is full (backpressure). */
export async function write(stream: Writable, text: string | Uint8Array): Promise<void> {
  if (!stream.write(text)) await new Promise<void>((resolve) => stream.once('drain', resolve));
}
