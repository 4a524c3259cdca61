import type { types } from '@slack/bolt';
import { formatDuration } from '../../access/duration';
import type { HomeData, Paged } from '../../access/home';
import type { AccessRequest } from '../../access/types';
import { SLACK_LIMITS } from '../limits';
import { code, fitMrkdwn, mention } from '../mrkdwn';
import { homeBlockId, homeMetadata } from '../origin';
import { approveConfirmText } from './card';
import { ACTION, HOME_ACTION } from './ids';
import { slackDate } from './shared';
import type { KnownBlock } from './shared';

/**
 * One person's Home tab. Every row that carries a button is bound to its request by its block ID (see
 * ../origin.ts), and the view to its owner by `private_metadata`, so a click is honoured only for the request shown
 * to the person who clicked. At most HOME_PAGE rows a list (paged) and a few own requests keep it far within Slack's
 * 100 blocks.
 */

type Button = types.Button;
export type HomeView = types.HomeView;

/** Links to each request's card, by request ID (absent: the card never posted). */
export type CardLinks = ReadonlyMap<string, string>;

const button = (action: string, text: string, value: string, style?: 'primary' | 'danger'): Button => ({
  type: 'button',
  action_id: action,
  text: { type: 'plain_text', text },
  value,
  ...(style ? { style } : {}),
});

const ageOf = (since: Date, now: Date) =>
  formatDuration(Math.max(60, Math.floor((now.getTime() - since.getTime()) / 60_000) * 60));

/** The request in one line: ID (linked to its card's thread when there is one), task, option, role. */
function what(request: AccessRequest, links: CardLinks): string {
  const link = links.get(request.id);
  const id = link ? `<${link}|${request.id}>` : code(request.id);
  return `${id} ${request.task} (${request.option}) for ${code(request.role.arn)}`;
}

const section = (text: string, blockId?: string, accessory?: Button): KnownBlock => ({
  type: 'section',
  text: { type: 'mrkdwn', text: fitMrkdwn(text, SLACK_LIMITS.sectionText) },
  ...(blockId ? { block_id: blockId } : {}),
  ...(accessory ? { accessory } : {}),
});

const header = (text: string): KnownBlock => ({ type: 'header', text: { type: 'plain_text', text } });

/** "Page 2 of 5" with Previous / Next, for one list (`w` waiting, `g` grants). */
function pager(list: 'w' | 'g', p: Paged<unknown>): KnownBlock[] {
  if (p.pages <= 1) return [];
  const elements: Button[] = [];
  if (p.page > 0) elements.push(button(HOME_ACTION.previousPage, 'Previous', `${list}:${p.page - 1}`));
  if (p.page < p.pages - 1) elements.push(button(HOME_ACTION.nextPage, 'Next', `${list}:${p.page + 1}`));
  return [
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `Page ${p.page + 1} of ${p.pages} (${p.total})` }],
    },
    { type: 'actions', block_id: `home.page.${list}`, elements },
  ];
}

function timeLeft(request: AccessRequest, now: Date): string {
  if (!request.expiresAt) return 'no end';
  const seconds = Math.floor((request.expiresAt.getTime() - now.getTime()) / 1000);
  return seconds <= 0 ? 'ending now' : `${formatDuration(Math.max(60, seconds - (seconds % 60)))} left`;
}

export function homeView(data: HomeData, links: CardLinks): HomeView {
  const { now } = data;
  const blocks: KnownBlock[] = [
    header('Cases access'),
    {
      type: 'actions',
      block_id: 'home.new',
      elements: [button(HOME_ACTION.newRequest, 'New request', 'new', 'primary')],
    },
  ];

  if (data.approver) {
    blocks.push({ type: 'divider' }, header(`Waiting for you (${data.waiting.total})`));
    if (!data.waiting.rows.length) blocks.push(section('_Nothing waits for your decision._'));
    for (const { request, required } of data.waiting.rows) {
      const quorum =
        required > 1 ? ` · *${Math.min(request.approvals.length, required)} of ${required}* approvals` : '';
      blocks.push(
        section(
          `${what(request, links)}\nby ${mention(request.requesterId)}, ${ageOf(request.createdAt, now)} ago${quorum}`,
          homeBlockId('wait', request.id),
        ),
        {
          type: 'actions',
          block_id: homeBlockId('decide', request.id),
          elements: [
            {
              ...button(ACTION.approve, 'Approve', request.id, 'primary'),
              confirm: {
                title: { type: 'plain_text', text: 'Approve and apply?' },
                text: { type: 'plain_text', text: approveConfirmText(request) },
                confirm: { type: 'plain_text', text: 'Approve' },
                deny: { type: 'plain_text', text: 'Cancel' },
              },
            },
            button(ACTION.deny, 'Deny', request.id, 'danger'),
            button(ACTION.viewPolicy, 'View policy', request.id),
          ],
        },
      );
    }
    blocks.push(...pager('w', data.waiting));
  }

  blocks.push({ type: 'divider' }, header('Your requests'));
  const { pending, active, ended } = data.own;
  if (!pending.length && !active.length && !ended.length)
    blocks.push(section('_You have no requests yet. *New request* asks for one._'));
  for (const request of pending)
    blocks.push(
      section(
        `:hourglass_flowing_sand: ${what(request, links)} · pending for ${ageOf(request.createdAt, now)}`,
      ),
    );
  for (const request of active)
    blocks.push(
      section(
        `:white_check_mark: ${what(request, links)} · ${request.state === 'applied' ? timeLeft(request, now) : request.state}`,
        homeBlockId('own', request.id),
        request.state === 'applied' ? button(ACTION.revoke, 'Revoke', request.id, 'danger') : undefined,
      ),
    );
  for (const request of ended)
    blocks.push(
      section(
        `:heavy_minus_sign: ${what(request, links)} · ${request.state}${request.completedAt ? ` ${slackDate(request.completedAt)}` : ''}`,
      ),
    );

  if (data.approver) {
    blocks.push({ type: 'divider' }, header(`Active grants (${data.grants.total})`));
    if (!data.grants.rows.length) blocks.push(section('_No grant is on a role now._'));
    for (const request of data.grants.rows)
      blocks.push(
        section(
          `${what(request, links)}\nfor ${mention(request.requesterId)}, approved by ${request.decidedBy ? mention(request.decidedBy) : 'break-glass'} · ${timeLeft(request, now)}`,
          homeBlockId('grant', request.id),
          button(ACTION.revoke, 'Revoke', request.id, 'danger'),
        ),
      );
    blocks.push(...pager('g', data.grants));
  }

  return {
    type: 'home',
    private_metadata: homeMetadata({
      owner: data.userId,
      waitingPage: data.waiting.page,
      grantsPage: data.grants.page,
    }),
    blocks,
  };
}

/** The requests a Home shows, for asking their cards' links. */
export function requestsShown(data: HomeData): AccessRequest[] {
  return [
    ...data.waiting.rows.map((w) => w.request),
    ...data.own.pending,
    ...data.own.active,
    ...data.own.ended,
    ...data.grants.rows,
  ];
}
