/**
 * Text forms of episodes and re-explained records (`agentos episode show`, `agentos explain`).
 */
import type { EpisodeStep } from '../../governor/action-history.js';
import type { RecordExplanation, Reevaluation } from '../../governor/explain-record.js';
import { renderExplanation } from './render-explanation.js';
import type { Style } from './style.js';

function paint(s: Style, effectOrStatus: string | undefined): string {
  const v = effectOrStatus ?? '?';
  if (v === 'allow' || v === 'executed' || v === 'allowed') return s.green(v);
  if (v === 'deny' || v === 'denied' || v === 'failed') return s.red(v);
  return s.yellow(v);
}

function brief(v: unknown): string {
  const text = JSON.stringify(v) ?? '';
  return text.length > 80 ? text.slice(0, 77) + '…' : text;
}

/** An episode, one block per step. */
export function renderEpisode(id: string, steps: readonly EpisodeStep[], s: Style): string {
  const agents = [...new Set(steps.map((x) => x.agent))].join(', ');
  const out = [
    `${s.bold('episode')} ${id} — ${steps.length} step${steps.length === 1 ? '' : 's'}, ${agents}`,
  ];
  steps.forEach((x, i) => {
    const what = `${x.name ?? '(request not found)'}${x.resource ? ' ' + x.resource : ''}`;
    out.push('');
    out.push(`${s.bold(String(i + 1).padStart(2))}  ${x.time}  ${x.agent} → ${what}`);
    out.push(
      `    ${paint(s, x.effect)} (${x.risk ?? '?'} risk) → ${paint(s, x.status)}` +
        (x.rules.length ? s.dim(`  ${x.rules.join(', ')}`) : ''),
    );
    if (x.reason) out.push(`    ${x.reason}`);
    if (x.outcome !== undefined) out.push(`    outcome ${brief(x.outcome)}`);
    if (x.error !== undefined) out.push(`    error   ${brief(x.error)}`);
    out.push(s.dim(`    ${x.action}  records ${x.records.join(' ')}`));
  });
  return out.join('\n') + '\n';
}

function verdict(label: string, r: Reevaluation, s: Style): string[] {
  const at = `org v${r.versions.org}, policy v${r.versions.policy}`;
  if (r.differences.length === 0) return [`${s.bold(label)} (${at}): ${s.green('the same decision')}`];
  return [
    `${s.bold(label)} (${at}): ${s.yellow(`${r.differences.length} difference${r.differences.length === 1 ? '' : 's'}`)}`,
    ...r.differences.map((d) => `    ${d}`),
  ];
}

/** A recorded decision, re-evaluated then (and now). */
export function renderRecordExplanation(x: RecordExplanation, s: Style): string {
  const out = [
    `${s.bold('action')}    ${x.action}  ${s.dim(`records ${x.records.requested} ${x.records.decided}`)}`,
    `${s.bold('recorded')}  ${x.time}: ${paint(s, x.recorded.effect)} (${x.recorded.risk} risk)` +
      s.dim(`  ${x.recorded.rules.join(', ')}`),
    `          ${x.recorded.reason}`,
    '',
    ...verdict('then', x.then, s),
  ];
  if (x.now) out.push(...verdict('now', x.now, s));
  const shown = x.now && x.now.differences.length > 0 ? x.now : x.then;
  out.push('', s.dim(shown === x.then ? 'as evaluated then:' : 'as evaluated now:'));
  out.push(renderExplanation(shown.explanation, s));
  return out.join('\n') + '\n';
}
