import type { types } from '@slack/bolt';
import { prettyJson } from '../../policy';
import type { AccessRequest } from '../../access/types';

export type KnownBlock = types.KnownBlock;

/** Room left for a preformatted policy in one block (Slack caps text around 3,000 characters). */
export const INLINE_POLICY_LIMIT = 2_900;

/** Slack renders the date in the reader's own time zone; the ISO time is the fallback. */
export const slackDate = (date: Date): string =>
  `<!date^${Math.floor(date.getTime() / 1000)}^{date_short_pretty} {time}|${date.toISOString()}>`;

export function policyDisplay(request: AccessRequest): string {
  return prettyJson(JSON.parse(request.documentText));
}

export function preformatted(text: string): KnownBlock {
  return {
    type: 'rich_text',
    elements: [{ type: 'rich_text_preformatted', elements: [{ type: 'text', text }] }],
  } as KnownBlock;
}
