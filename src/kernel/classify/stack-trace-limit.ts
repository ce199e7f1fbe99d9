/**
 * Remembers `Error.stackTraceLimit` before `mvdan-sh` loads: its GopherJS runtime sets it to `Infinity` for
 * the whole process, which `shell-parser.ts` undoes. Imported first so ESM evaluates it first.
 */

/** The process's stack trace limit before `mvdan-sh` was evaluated. */
export const savedStackTraceLimit: number = Error.stackTraceLimit;
