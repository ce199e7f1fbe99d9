/** What every page gets: who is signed in, and how to say something to the reader. */
import type { Me } from './types.js';

/** A page's context. */
export interface PageContext {
  readonly me: Me;
  /** Announces a short message in the live status region. */
  say(message: string): void;
  /** Aborted when the reader leaves the page (stops streams and timers). */
  readonly signal: AbortSignal;
}

/** A page: renders into `main`. */
export type Page = (main: HTMLElement, ctx: PageContext) => Promise<void>;

/** True when the signed-in caller holds a permission. */
export const can = (ctx: PageContext, permission: string): boolean => ctx.me.permissions.includes(permission);
