/**
 * Who is calling, and what they may do (issue 4 §2). People hold API tokens with a role; agents hold
 * credentials minted per agent. Both are bearer secrets shown once and stored only as SHA-256 hashes.
 *
 * Secrets carry a prefix saying what they are (`aosp_` a person's token, `aosa_` an agent's credential),
 * so a leaked secret is recognisable by scanners and the store is asked the right table.
 */
import { AgentOsError } from '../kernel/errors.js';
import type { Org } from '../kernel/org/model.js';
import type { Clock, Hasher, IdSource } from '../kernel/ports.js';
import type { CredentialStore, PersonRole, StoredToken, TokenStore } from './store.js';

/** Random secrets (the adapter draws them from the operating system's CSPRNG). */
export interface SecretSource {
  /** A fresh secret: `prefix` then at least 256 random bits, URL-safe. */
  secret(prefix: string): string;
}

const PERSON = 'aosp_';
const AGENT = 'aosa_';
const ROLES: readonly PersonRole[] = ['admin', 'approver', 'auditor', 'viewer'];

/** An authenticated caller. */
export type Principal =
  | { readonly kind: 'person'; readonly id: string; readonly role: PersonRole; readonly token: string }
  | { readonly kind: 'agent'; readonly id: string; readonly credential: string };

/** What issuing and authenticating need. */
export interface AuthDeps {
  readonly tokens: TokenStore;
  readonly credentials: CredentialStore;
  readonly hasher: Hasher;
  readonly ids: IdSource;
  readonly clock: Clock;
  readonly secrets: SecretSource;
}

/** Checks a role name; `AOS_USAGE` naming the roles otherwise. */
export function parseRole(role: string): PersonRole {
  if ((ROLES as readonly string[]).includes(role)) return role as PersonRole;
  throw new AgentOsError(
    'AOS_USAGE',
    `role \`${role}\` is not one of ${ROLES.map((r) => `\`${r}\``).join(', ')}`,
  );
}

/** Creates a person's API token; the secret is returned once and only its hash is stored. */
export async function createToken(
  deps: AuthDeps,
  org: Org,
  person: string,
  role: PersonRole,
): Promise<{ token: StoredToken; secret: string }> {
  const who = org.people.get(person);
  if (!who) throw new AgentOsError('AOS_NOT_FOUND', `no person \`${person}\` in the org`);
  if (!who.active) throw new AgentOsError('AOS_FORBIDDEN', `person \`${person}\` is inactive`);
  const secret = deps.secrets.secret(PERSON);
  const token = {
    id: deps.ids.next('tok'),
    person,
    role,
    hash: deps.hasher.sha256(secret),
    createdAt: new Date(deps.clock.now()).toISOString(),
  };
  await deps.tokens.put(token);
  return { token, secret };
}

/** Mints a credential for an agent of the org; the secret is returned once and only its hash is stored. */
export async function createCredential(
  deps: AuthDeps,
  org: Org,
  agent: string,
  options: { expiresAt?: string } = {},
): Promise<{ id: string; secret: string }> {
  if (!org.agents.has(agent)) throw new AgentOsError('AOS_NOT_FOUND', `no agent \`${agent}\` in the org`);
  const secret = deps.secrets.secret(AGENT);
  const id = deps.ids.next('cred');
  await deps.credentials.put({
    id,
    agent,
    hash: deps.hasher.sha256(secret),
    createdAt: new Date(deps.clock.now()).toISOString(),
    ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}),
  });
  return { id, secret };
}

/**
 * Authenticates an `Authorization` header value. `AOS_UNAUTHENTICATED` for a missing, malformed, unknown,
 * revoked or expired secret, or one whose person or agent is no longer in the org (or has left).
 */
export async function authenticate(deps: AuthDeps, org: Org, header: string | undefined): Promise<Principal> {
  const m = /^Bearer ([A-Za-z0-9_-]{16,200})$/.exec(header ?? '');
  if (!m?.[1]) throw unauthenticated('send `Authorization: Bearer <token>`');
  const secret = m[1];
  const hash = deps.hasher.sha256(secret);
  const now = new Date(deps.clock.now()).toISOString();
  if (secret.startsWith(PERSON)) {
    const t = await deps.tokens.byHash(hash);
    if (!t) throw unauthenticated('unknown token');
    if (t.revokedAt) throw unauthenticated(`token \`${t.id}\` was revoked`);
    if (org.people.get(t.person)?.active !== true) {
      throw unauthenticated(`person \`${t.person}\` is no longer active in the org`);
    }
    return { kind: 'person', id: t.person, role: t.role, token: t.id };
  }
  if (secret.startsWith(AGENT)) {
    const c = await deps.credentials.byHash(hash);
    if (!c) throw unauthenticated('unknown credential');
    if (c.revokedAt) throw unauthenticated(`credential \`${c.id}\` was revoked`);
    if (c.expiresAt !== undefined && c.expiresAt <= now)
      throw unauthenticated(`credential \`${c.id}\` expired`);
    if (!org.agents.has(c.agent)) throw unauthenticated(`agent \`${c.agent}\` is no longer in the org`);
    return { kind: 'agent', id: c.agent, credential: c.id };
  }
  throw unauthenticated('unknown token');
}

function unauthenticated(why: string): AgentOsError {
  return new AgentOsError('AOS_UNAUTHENTICATED', `not authenticated: ${why}`);
}

/** What a caller may ask for (issue 4 §2; docs/api.md has the table). */
export type Permission =
  | 'actions.submit'
  | 'actions.read'
  | 'approvals.read'
  | 'approvals.vote'
  | 'agents.read'
  | 'agents.signal'
  | 'agents.run'
  | 'departments.signal'
  | 'ledger.read'
  | 'org.apply'
  | 'policy.apply';

const PERSON_PERMISSIONS: Readonly<Record<PersonRole, readonly Permission[]>> = {
  admin: [
    'actions.read',
    'approvals.read',
    'approvals.vote',
    'agents.read',
    'agents.signal',
    'agents.run',
    'departments.signal',
    'ledger.read',
    'org.apply',
    'policy.apply',
  ],
  approver: ['actions.read', 'approvals.read', 'approvals.vote', 'agents.read'],
  auditor: ['actions.read', 'approvals.read', 'agents.read', 'ledger.read'],
  viewer: ['actions.read', 'approvals.read', 'agents.read'],
};

/** What a person's role may do (a person may also signal the agents they own, whatever the role). */
export function permissionsOf(role: PersonRole): readonly Permission[] {
  return PERSON_PERMISSIONS[role];
}

/**
 * Checks that `who` may do `what`; for an agent or an agent's action, `target.agent` names it. Throws
 * `AOS_FORBIDDEN` saying why. An agent may only submit and read its own actions and start runs of itself.
 * A person may signal (stop, cont, kill) and run (`agentos run`) the agents they own whatever their role;
 * only admins signal or run other agents, and signal departments or everything.
 */
export function authorize(
  who: Principal,
  what: Permission,
  target: { agent?: string; org?: Org } = {},
): void {
  if (who.kind === 'agent') {
    const ownAction = what === 'actions.submit' || what === 'actions.read' || what === 'agents.run';
    if (ownAction && (target.agent === undefined || target.agent === who.id)) return;
    throw new AgentOsError(
      'AOS_FORBIDDEN',
      ownAction
        ? `agent \`${who.id}\` can only act as itself, not as \`${target.agent ?? ''}\``
        : `agent \`${who.id}\` may not ${what.replace('.', ' ')}`,
    );
  }
  if ((what === 'agents.signal' || what === 'agents.run') && target.agent !== undefined) {
    if (target.org?.agents.get(target.agent)?.owner === who.id) return;
  }
  if (!PERSON_PERMISSIONS[who.role].includes(what)) {
    const about = target.agent === undefined ? '' : ` \`${target.agent}\``;
    throw new AgentOsError(
      'AOS_FORBIDDEN',
      `\`${who.id}\` (${who.role}) may not ${what.replace('.', ' ')}${about}`,
    );
  }
}
