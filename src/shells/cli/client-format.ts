/**
 * How the commands that talk to the daemon print for people: approvals as a table or a card, a vote's
 * result and a signal's report as one line each. Agent- and person-supplied text is made visible, never
 * interpreted by the terminal.
 */
import type { AgentState, Approval, OrgApplied, PoliciesApplied, SignalReport } from '../../sdk/index.js';
import { visible } from './audit-format.js';
import type { Style } from './style.js';

const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));

/** Pending approvals as a table with a header (or a line saying there are none). */
export function approvalTable(approvals: readonly Approval[], style: Style): string {
  if (approvals.length === 0) return 'no pending approvals\n';
  const rows = approvals
    .map((a) => [a.id, a.action, a.agent, `${a.level}/${a.levels}`, a.expiresAt, a.approvers.join(', ')])
    .map((r) => r.map(visible));
  const head = ['ID', 'ACTION', 'AGENT', 'LEVEL', 'EXPIRES', 'APPROVERS'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i] ?? 0))).join('  ');
  return [style.bold(line(head)), ...rows.map(line)].join('\n') + '\n';
}

/** Agents as a table: id, state (coloured), owner, department, autonomy, and why when not active. */
export function agentTable(agents: readonly AgentState[], style: Style): string {
  if (agents.length === 0) return 'no agents\n';
  const colour = { active: style.green, stopped: style.yellow, suspended: style.yellow, killed: style.red };
  const rows = agents.map((a) =>
    [a.id, a.state, a.owner, a.department, String(a.autonomy), a.reason ?? ''].map(visible),
  );
  const head = ['AGENT', 'STATE', 'OWNER', 'DEPARTMENT', 'AUTONOMY', 'WHY'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[], state?: AgentState['state']) =>
    cells
      .map((c, i) => {
        const padded = i === cells.length - 1 ? c : pad(c, widths[i] ?? 0);
        return i === 1 && state ? colour[state](padded) : padded;
      })
      .join('  ');
  return [style.bold(line(head)), ...rows.map((r, i) => line(r, agents[i]?.state))].join('\n') + '\n';
}

/** The status of an approval, coloured by what it means for the action. */
export function approvalStatus(status: Approval['status'], style: Style): string {
  return status === 'granted'
    ? style.green(status)
    : status === 'pending'
      ? style.yellow(status)
      : style.red(status);
}

/** One approval with its votes, as `key: value` lines. */
export function approvalCard(a: Approval, style: Style): string {
  const lines = [
    `${style.bold('approval')}  ${visible(a.id)}`,
    `${style.bold('action')}    ${visible(a.action)}`,
    `${style.bold('agent')}     ${visible(a.agent)}`,
    `${style.bold('status')}    ${approvalStatus(a.status, style)}`,
    `${style.bold('level')}     ${a.level} of ${a.levels}`,
    `${style.bold('approvers')} ${visible(a.approvers.join(', ') || '-')}`,
    `${style.bold('expires')}   ${visible(a.expiresAt)}`,
    `${style.bold('votes')}     ${a.votes.length === 0 ? '-' : ''}`,
  ];
  for (const v of a.votes) {
    const verdict = v.verdict === 'approve' ? style.green('approve') : style.red('deny');
    const comment = v.comment ? `: ${visible(v.comment)}` : '';
    lines.push(`  ${style.dim(v.time)}  level ${v.level}  ${visible(v.person)}  ${verdict}${comment}`);
  }
  return lines.join('\n').replace(/ +$/gm, '') + '\n';
}

/** What a vote left the approval as, in one line. */
export function voteLine(verdict: 'approve' | 'deny', a: Approval, style: Style): string {
  const voted = verdict === 'approve' ? 'approved' : 'denied';
  const next =
    a.status === 'pending'
      ? `; waiting for ${visible(a.approvers.join(', '))} (level ${a.level} of ${a.levels})`
      : '';
  return `${voted} ${visible(a.id)} (action ${visible(a.action)}): ${approvalStatus(a.status, style)}${next}\n`;
}

/** What a signal did, in one line. */
export function signalLine(signal: string, target: string, r: SignalReport, style: Style): string {
  const standing = r.standing ? `${r.standing.signal} stands` : 'nothing stands';
  const agents = r.agents.length === 0 ? 'no agents' : visible(r.agents.join(', '));
  const extra = [
    r.released > 0 ? `${r.released} held ${r.released === 1 ? 'action' : 'actions'} decided` : '',
    r.revoked > 0 ? `${r.revoked} ${r.revoked === 1 ? 'credential' : 'credentials'} revoked` : '',
  ].filter((s) => s !== '');
  return (
    `${style.bold(signal)} ${visible(target)}: ${agents}; ${standing}` +
    (extra.length > 0 ? `; ${extra.join(', ')}` : '') +
    ` ${style.dim(`(record ${visible(r.record)})`)}\n`
  );
}

/** What `org apply` / `policy apply` did: one line per org change, then the outcome. */
export function appliedLines(kind: 'org' | 'policy', r: OrgApplied | PoliciesApplied, style: Style): string {
  const out: string[] = [];
  if ('changes' in r) {
    const mark = { added: style.green('+'), removed: style.red('-'), changed: style.yellow('~') };
    for (const c of r.changes) {
      out.push(
        `${mark[c.change]} ${c.kind} ${visible(c.id)}${c.fields.length ? ': ' + c.fields.map(visible).join('; ') : ''}`,
      );
    }
    if (r.changes.length === 0) out.push('no changes');
  } else {
    out.push(`${r.documents} policy documents, ${r.rules} rules`);
  }
  const shadowing = !('changes' in r) && r.applied && r.shadow !== undefined;
  out.push(
    shadowing
      ? `shadow: tried alongside ${kind} version ${r.version.version}, which stays in force; what it would decide otherwise is recorded (set ${r.shadow.slice(0, 12)})`
      : r.applied
        ? `applied: ${kind} version ${r.version.version} is in force`
        : 'changes' in r && r.changes.length === 0
          ? `nothing to apply: ${kind} version ${r.version.version} stays in force`
          : `dry run: nothing applied (${kind} version ${r.version.version} stays in force)`,
  );
  return out.join('\n') + '\n';
}
