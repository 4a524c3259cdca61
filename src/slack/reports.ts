import { formatDuration } from '../access/duration';
import type { RequestHistory } from '../access/queries';
import type { AccessRequest, AuditEvent } from '../access/types';
import { SLACK_LIMITS } from './limits';
import { code, escapeMrkdwn, fitMrkdwn, mention } from './mrkdwn';

/**
 * Text for `/cases-access status` and `audit`, shown privately to the one who asked, in pages: each page is one
 * message within Slack's 4,000 characters, and says how to ask for the next (`--page <n>`).
 */

export type LinkOf = (request: AccessRequest) => Promise<string | undefined>;

/** Which page to show, and the command as named in this workspace (for the "next page" hint). */
export interface PageRequest {
  page: number;
  command: string;
}

/** One line of a report at most: a 500-character reason fits whole, a runaway one is cut. */
const LINE_MAX = 1_200;

const actor = (id: string): string => (id === 'bot' ? 'the bot' : mention(id));

async function requestLine(request: AccessRequest, linkOf: LinkOf): Promise<string> {
  const link = await linkOf(request).catch(() => undefined);
  const id = link ? `<${link}|${request.id}>` : request.id;
  const ends =
    request.state === 'applied' && request.expiresAt ? `, ends ${request.expiresAt.toISOString()}` : '';
  const glass = request.breakGlass
    ? request.reviewedBy
      ? ' — break-glass'
      : ' — :rotating_light: *break-glass, unreviewed*'
    : '';
  return `• ${id} — *${request.state}*${ends}${glass} — ${request.task} · ${request.option} on ${code(request.role.arn)}, ${request.createdAt.toISOString()}`;
}

function eventLine(event: AuditEvent): string {
  const d = event.details;
  const extra: string[] = [];
  if (typeof d.operation === 'string' && d.operation !== 'none') extra.push(code(d.operation));
  if (typeof d.awsRequestId === 'string') extra.push(`AWS request ID ${code(d.awsRequestId)}`);
  if (typeof d.reason === 'string') extra.push(escapeMrkdwn(d.reason));
  if (typeof d.code === 'string') extra.push(`${code(d.code)} ${escapeMrkdwn(String(d.message ?? ''))}`);
  return `  ${event.at.toISOString()} · ${event.type} · ${actor(event.actor)}${extra.length ? ` · ${extra.join(' · ')}` : ''}`;
}

async function historyLines({ request, events }: RequestHistory, linkOf: LinkOf): Promise<string[]> {
  const length = request.durationSeconds ? formatDuration(request.durationSeconds) : 'until revoked';
  return [
    await requestLine(request, linkOf),
    `  requested by ${mention(request.requesterId)}, grant length ${length}, SHA-256 ${code(request.sha256)}`,
    ...events.map(eventLine),
  ];
}

/**
 * Page `page` of `lines` under `title`: lines are packed in order (each cut to LINE_MAX, never inside an escape,
 * mention or link), each page within Slack's message limit. `next(n)` names the command that shows page n.
 */
export function paged(title: string, lines: string[], { page, command }: PageRequest, next: string): string {
  const head = fitMrkdwn(title, 500);
  // Room for the footer: "Page n of m." and the command that shows the next page.
  const budget = SLACK_LIMITS.messageText - head.length - (80 + command.length + next.length);
  const pages: string[][] = [[]];
  let used = 0;
  for (const line of lines.map((l) => fitMrkdwn(l, LINE_MAX))) {
    if (used + line.length + 1 > budget && pages.at(-1)!.length) {
      pages.push([]);
      used = 0;
    }
    pages.at(-1)!.push(line);
    used += line.length + 1;
  }
  const total = pages.length;
  if (page > total)
    return `${head}\nThere ${total === 1 ? 'is only one page' : `are only ${total} pages`}; \`${escapeMrkdwn(`${command} ${next}`)}\` shows the first.`;
  const hint =
    page < total ? ` \`${escapeMrkdwn(`${command} ${next} --page ${page + 1}`)}\` shows the next.` : '';
  const footer = total > 1 ? `\n_Page ${page} of ${total}._${hint}` : '';
  return `${head}\n${pages[page - 1]!.join('\n')}${footer}`;
}

export async function statusList(
  requests: AccessRequest[],
  linkOf: LinkOf,
  at: PageRequest,
): Promise<string> {
  if (!requests.length)
    return `You have no cases-access requests yet. \`${escapeMrkdwn(at.command)} help\` shows how to make one.`;
  const lines = await Promise.all(requests.map((r) => requestLine(r, linkOf)));
  lines.push(`\`${escapeMrkdwn(`${at.command} status <request-id>`)}\` shows one request’s history.`);
  return paged('*Your recent requests*', lines, at, 'status');
}

export async function historyText(history: RequestHistory, linkOf: LinkOf, at: PageRequest): Promise<string> {
  const [first, ...rest] = await historyLines(history, linkOf);
  return paged(first!, rest, at, `status ${history.request.id}`);
}

export async function auditText(
  roleArn: string,
  grants: RequestHistory[],
  linkOf: LinkOf,
  at: PageRequest,
): Promise<string> {
  if (!grants.length) return `No cases-access requests for ${code(roleArn)}.`;
  const sections = await Promise.all(grants.map((g) => historyLines(g, linkOf)));
  return paged(
    `*Audit of ${code(roleArn)}* — ${grants.length} request(s), newest first`,
    sections.flat(),
    at,
    `audit ${roleArn}`,
  );
}
