/**
 * Renders an Explanation as text for `agentos policy explain` and the demo.
 */
import type { Explanation, RuleTrace } from '../../kernel/policy/explanation.js';
import type { Style } from './style.js';

/** Text form of an explanation, one block. */
export function renderExplanation(x: Explanation, s: Style): string {
  const out: string[] = [];
  const r = x.request;
  const d = x.decision;
  out.push(
    `${s.bold('request')}   ${r.agent} → ${r.action}${x.classification.resource ? ' ' + x.classification.resource : ''}${r.args ? ' ' + s.dim(JSON.stringify(r.args)) : ''}`,
  );
  if (!x.contract.ok) {
    out.push(
      `${s.bold('contract')}  ${s.red('broken')}: ${x.contract.reason ?? ''} ${s.dim(`(${x.contract.rule ?? ''})`)}`,
    );
  }
  const facts = Object.entries(x.classification.facts);
  if (facts.length > 0)
    out.push(`${s.bold('facts')}     ${facts.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join('  ')}`);
  const raisedBy = x.riskRules.filter((t) => t.outcome === 'matched').map((t) => t.rule);
  const base = x.classification.risk === undefined ? 'no classifier' : `classified ${x.classification.risk}`;
  const why = raisedBy.length
    ? `${base}; risk rules ${raisedBy.join(', ')}`
    : x.classification.risk === undefined
      ? 'no classifier or risk rule speaks about this action'
      : base;
  out.push(`${s.bold('risk')}      ${x.risk} ${s.dim(`(${why})`)}`);
  if (x.documents.length > 0) {
    out.push('', s.bold('documents'));
    for (const doc of x.documents) {
      out.push(
        `  ${doc.inScope ? s.green('in scope    ') : s.dim('not in scope')}  ${doc.name} ${s.dim(`(${doc.scope}; ${doc.file})`)}`,
      );
    }
  }
  // rules for other actions are noise here (--json lists them all); say how many there were
  const all = [...x.riskRules, ...x.rules];
  const rules = all.filter((t) => !t.why.startsWith('action '));
  const others = all.length - rules.length;
  if (all.length > 0) {
    out.push('', s.bold('rules') + s.dim(` for ${r.action} in scope`));
    const width = Math.max(0, ...rules.map((t) => t.rule.length));
    for (const t of rules) out.push('  ' + ruleLine(t, width, s));
    if (rules.length === 0) out.push(s.dim('  none'));
    if (others > 0)
      out.push(
        s.dim(
          `  (${others} more rule${others > 1 ? 's' : ''} in scope ${others > 1 ? 'are' : 'is'} for other actions)`,
        ),
      );
  }
  out.push(
    '',
    `${s.bold('decision')}  ${effectText(d.effect, s)}${d.rules.length ? s.dim(`  by ${d.rules.join(', ')}`) : ''}`,
  );
  out.push(`${s.bold('because')}   ${d.reason}`);
  if (d.approval) {
    const a = d.approval;
    const quorum = a.of ? `${a.quorum} of ${a.of}` : String(a.quorum);
    out.push(
      `${s.bold('approval')}  route ${a.route}, ${a.levels} level${a.levels > 1 ? 's' : ''}, quorum ${quorum}, timeout ${formatMs(a.timeoutMs)}`,
    );
  }
  if (d.constraints.length > 0) out.push(`${s.bold('constraints')} ${d.constraints.join(', ')}`);
  return out.join('\n');
}

function ruleLine(t: RuleTrace, width: number, s: Style): string {
  const mark = t.outcome === 'matched' ? s.green('✓') : t.outcome === 'error' ? s.red('!') : s.dim('·');
  const name = t.rule.padEnd(width);
  const effect = t.effect.padEnd(16);
  const text = `${mark} ${name}  ${effect}  ${t.outcome === 'matched' ? 'matched' : t.why}`;
  return t.outcome === 'not-matched' ? s.dim(text) : text;
}

function effectText(effect: string, s: Style): string {
  const upper = effect.toUpperCase();
  return effect === 'allow' ? s.green(upper) : effect === 'deny' ? s.red(upper) : s.yellow(upper);
}

function formatMs(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
