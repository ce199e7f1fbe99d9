/**
 * Progress for long work (issue 4 §7): a count on stderr, redrawn at most once a second, only when stderr
 * is a terminal — never in pipes, files or CI logs, so scripted output stays clean.
 */

/** A writable terminal stream. */
interface Tty {
  readonly isTTY?: boolean;
  write(s: string): unknown;
}

/**
 * Passes `items` through, counting them; while it runs longer than a second, shows `<label>: N…` on
 * `stderr` (a TTY only), cleared at the end.
 */
export async function* counted<T>(items: AsyncIterable<T>, label: string, stderr: Tty): AsyncGenerator<T> {
  if (stderr.isTTY !== true) {
    yield* items;
    return;
  }
  let n = 0;
  let last = Date.now();
  let shown = false;
  try {
    for await (const item of items) {
      n++;
      if ((n & 1023) === 0 && Date.now() - last >= 1000) {
        last = Date.now();
        shown = true;
        stderr.write(`\r${label}: ${n.toLocaleString('en')}…`);
      }
      yield item;
    }
  } finally {
    if (shown) stderr.write('\r\u001b[2K');
  }
}
