import { formatDuration } from '../access/duration';
import type { RequestHistory } from '../access/queries';
import type { AccessRequest, AuditEvent } from '../access/types';
import { code, escapeMrkdwn, mention } from './mrkdwn';

/** Text for `/cases-access status` and `audit`, shown privately to the one who asked. */

export type LinkOf = (request: AccessRequest) => Promise<string | undefined>;

const actor = (id: string): string => (id === 'bot' ? 'the bot' : mention(id));

async function requestLine(request: AccessRequest, linkOf: LinkOf): Promise<string> {
  const link = await linkOf(request).catch(() => undefined);
  const id = link ? `<${link}|${request.id}>` : request.id;
  const ends =
    request.state === 'applied' && request.expiresAt ? `, ends ${request.expiresAt.toISOString()}` : '';
  return `• ${id} — *${request.state}*${ends} — ${request.task} · ${request.option} on ${code(request.role.arn)}, ${request.createdAt.toISOString()}`;
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

export async function statusList(requests: AccessRequest[], linkOf: LinkOf): Promise<string> {
  if (!requests.length)
    return 'You have no cases-access requests yet. `/cases-access help` shows how to make one.';
  const lines = await Promise.all(requests.map((r) => requestLine(r, linkOf)));
  return `*Your recent requests*\n${lines.join('\n')}\n\`/cases-access status <request-id>\` shows one request’s history.`;
}

export async function historyText({ request, events }: RequestHistory, linkOf: LinkOf): Promise<string> {
  const length = request.durationSeconds ? formatDuration(request.durationSeconds) : 'until revoked';
  return [
    await requestLine(request, linkOf),
    `  requested by ${mention(request.requesterId)}, grant length ${length}, SHA-256 ${code(request.sha256)}`,
    ...events.map(eventLine),
  ].join('\n');
}

export async function auditText(roleArn: string, grants: RequestHistory[], linkOf: LinkOf): Promise<string> {
  if (!grants.length) return `No cases-access requests for ${code(roleArn)}.`;
  const sections = await Promise.all(grants.map((g) => historyText(g, linkOf)));
  return `*Audit of ${code(roleArn)}* — ${grants.length} request(s)\n${sections.join('\n')}`;
}
