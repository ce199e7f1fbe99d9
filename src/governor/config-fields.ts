/** Setting shapes that several sections of `agentos.yaml` share. */
import { z } from 'zod';

const DURATION = /^(\d+(ms|s|m|h|d))+$/;

/** A duration setting (`30s`, `10m`, `1h30m`; read with `parseDuration`), `fallback` when absent. */
export const durationSetting = (fallback: string, description: string) =>
  z
    .string()
    .regex(DURATION, `must be a duration like \`${fallback}\``)
    .default(fallback)
    .describe(description);
