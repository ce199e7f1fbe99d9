/**
 * `${env:NAME}` references in `agentos.yaml` values (executor and webhook headers, webhook secrets): the
 * daemon replaces them from its environment once, at start, so secrets stay out of the file.
 */
import { AgentOsError } from '../kernel/errors.js';

const REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Replaces every `${env:NAME}` in `value`; a variable that is unset or empty is `AOS_CONFIG_INVALID`, the
 * message starting with `where` (e.g. ``executor `payroll`: header `authorization` ``).
 */
export function expandEnvRefs(
  value: string,
  env: Readonly<Record<string, string | undefined>>,
  where: string,
): string {
  return value.replace(REF, (_, name: string) => {
    const set = env[name];
    if (set === undefined || set === '') {
      throw new AgentOsError(
        'AOS_CONFIG_INVALID',
        `${where} needs the environment variable \`${name}\`, which is not set`,
      );
    }
    return set;
  });
}

/** Header values with their references replaced; names lowercased. */
export function expandHeaders(
  headers: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string | undefined>>,
  owner: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name.toLowerCase()] = expandEnvRefs(value, env, `${owner}: header \`${name}\``);
  }
  return out;
}
