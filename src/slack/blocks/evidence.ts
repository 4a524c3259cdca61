import { summarise } from '../../access/evidence';
import type { Evidence, EvidenceRow } from '../../access/evidence';
import { SLACK_LIMITS } from '../limits';
import { code, escapeMrkdwn, fitMrkdwn } from '../mrkdwn';
import { INLINE_POLICY_LIMIT, preformatted } from './shared';
import type { KnownBlock } from './shared';

/**
 * The evidence as the approver sees it: a compact summary on the card, the whole table in the View policy dialog.
 * Both fitted to Slack's limits however many actions and policies there are.
 */

/** Denied actions named on the card before "and N more" (the dialog has them all). */
const DENIED_SHOWN = 4;
/** Policy names listed on the card before "and N more". */
const NAMES_SHOWN = 8;

const DECISION_WORD: Record<EvidenceRow['before'], string> = {
  allowed: 'allowed',
  explicitDeny: 'explicit deny',
  implicitDeny: 'not allowed',
};

function names(list: readonly string[]): string {
  const shown = list.slice(0, NAMES_SHOWN).map(code).join(', ');
  return list.length > NAMES_SHOWN ? `${shown} and ${list.length - NAMES_SHOWN} more` : shown || '_none_';
}

/** What the role already holds: names only. */
function holdings(evidence: Evidence): string | undefined {
  if (evidence.inlinePolicies === undefined || evidence.managedPolicies === undefined) return undefined;
  let line = `*The role already has:* inline ${names(evidence.inlinePolicies)}; managed ${names(evidence.managedPolicies)}`;
  if (evidence.boundary) line += `; permissions boundary ${code(evidence.boundary)}`;
  return line;
}

/** The card's evidence section (mrkdwn), or undefined for a request made before evidence existed. */
export function evidenceSummary(evidence: Evidence | undefined): string | undefined {
  if (!evidence) return undefined;
  const lines: string[] = [];
  if (!evidence.checked) {
    lines.push(
      `:grey_question: *Effective access not checked:* ${code(evidence.code)} (IAM's simulator did not answer)`,
    );
  } else {
    const s = summarise(evidence);
    lines.push(
      `*Effective access (IAM's simulator):* of ${s.total} documented action${s.total === 1 ? '' : 's'}, ${s.already} already allowed, ${s.added} added by this grant.`,
    );
    if (s.denied.length > 0) {
      const shown = s.denied
        .slice(0, DENIED_SHOWN)
        .map((d) => `${code(d.action)} (${escapeMrkdwn(d.reason)})`);
      const more = s.denied.length > DENIED_SHOWN ? ` and ${s.denied.length - DENIED_SHOWN} more` : '';
      lines.push(
        `:warning: *Would not work:* ${s.denied.length} still denied after the grant — ${shown.join('; ')}${more}.`,
      );
    }
  }
  const held = holdings(evidence);
  if (held) lines.push(held);
  return fitMrkdwn(lines.join('\n'), SLACK_LIMITS.sectionText);
}

/** The whole table, as preformatted blocks for the dialog (each within a block's text). */
export function evidenceTableBlocks(evidence: Evidence | undefined): KnownBlock[] {
  if (!evidence?.checked) return [];
  const header = ['action', 'resource', 'before', 'after', 'deciding'];
  const rows = evidence.rows.map((r) => [
    r.action,
    r.resource,
    DECISION_WORD[r.before],
    DECISION_WORD[r.after],
    r.deciding,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => Math.min(r[i]!.length, 60))));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const lines = [line(header), ...rows.map(line)];
  const blocks: KnownBlock[] = [];
  let chunk = '';
  for (const l of lines) {
    const next = chunk ? `${chunk}\n${l}` : l;
    if (next.length > INLINE_POLICY_LIMIT && chunk) {
      blocks.push(preformatted(chunk));
      chunk = l.slice(0, INLINE_POLICY_LIMIT);
    } else chunk = next.slice(0, INLINE_POLICY_LIMIT);
  }
  if (chunk) blocks.push(preformatted(chunk));
  return blocks;
}
