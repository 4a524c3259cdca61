/**
 * What Slack answers when a message or a view the bot sends breaks a documented limit, per surface: the error code
 * the method returns and the `[ERROR] … [json-pointer:…]` messages that come with it. The block rules themselves are
 * in test/support/block-kit-rules.ts.
 */
import { Rules, block, formatViolation, isObj } from './block-kit-rules';
import type { Obj } from './block-kit-rules';

export interface Rejection {
  /** Slack's error code (`invalid_blocks`, `msg_too_long`, `no_text`, `invalid_arguments`…). */
  error: string;
  /** `response_metadata.messages`: one `[ERROR] <what> [json-pointer:<where>]` per broken rule. */
  messages: string[];
}

/** "You can include up to 50 blocks in each message, and 100 blocks in modals or Home tabs."
 *  https://docs.slack.dev/reference/block-kit/blocks */
const MESSAGE_BLOCKS = 50;
const VIEW_BLOCKS = 100;

/** A message's top-level `text`: 40,000 characters, else `msg_too_long` ("Message text is too long").
 *  https://docs.slack.dev/reference/methods/chat.postMessage */
const MESSAGE_TEXT = 40_000;

function blocksOf(r: Rules, parent: Obj, at: string, max: number, required: boolean): void {
  const ids = new Set<string>();
  r.items(parent, 'blocks', at, max, required).forEach((b, i) => block(r, b, `${at}/blocks/${i}`, ids));
}

/**
 * A message sent by chat.postMessage, chat.postEphemeral, chat.update or to a response_url. Errors as the
 * chat.postMessage reference lists them: `msg_too_long`, `no_text` (neither text nor blocks nor attachments),
 * `invalid_blocks_format` (blocks not an array), `invalid_blocks` (a block breaks a rule).
 * https://docs.slack.dev/reference/methods/chat.postMessage
 */
export function checkMessage(args: Obj): Rejection | undefined {
  const text = typeof args.text === 'string' ? args.text : '';
  if ([...text].length > MESSAGE_TEXT) return { error: 'msg_too_long', messages: [] };
  const { blocks, attachments } = args;
  if (blocks !== undefined && !Array.isArray(blocks)) return { error: 'invalid_blocks_format', messages: [] };
  const hasBlocks = Array.isArray(blocks) && blocks.length > 0;
  const hasAttachments = Array.isArray(attachments) && attachments.length > 0;
  if (text === '' && !hasBlocks && !hasAttachments) return { error: 'no_text', messages: [] };
  const r = new Rules();
  blocksOf(r, args, '', MESSAGE_BLOCKS, false);
  return r.found.length > 0 ? { error: 'invalid_blocks', messages: r.found.map(formatViolation) } : undefined;
}

/**
 * A view for views.open / views.push / views.update (a modal) or views.publish (a Home tab). Slack refuses a bad
 * view with `invalid_arguments` and pointers under `/view`.
 * Modal: title required, plain_text, at most 24 characters; close and submit plain_text, at most 24, submit required
 * when the view has an input block; private_metadata at most 3,000; callback_id at most 255.
 * https://docs.slack.dev/reference/views/modal-views
 * Home tab: private_metadata, callback_id and external_id as for modals. https://api.slack.com/reference/surfaces/views
 */
export function checkView(view: unknown, type: 'modal' | 'home'): Rejection | undefined {
  const r = new Rules();
  const at = '/view';
  if (!isObj(view)) r.fail(at, 'must provide an object');
  else {
    if (view.type !== type) r.fail(`${at}/type`, `must be one of the following: ${type}`);
    if (type === 'modal') {
      r.text(view, 'title', at, 24, { plain: true, required: true });
      r.text(view, 'close', at, 24, { plain: true });
      r.text(view, 'submit', at, 24, { plain: true });
      const hasInput = Array.isArray(view.blocks) && view.blocks.some((b) => isObj(b) && b.type === 'input');
      if (hasInput && view.submit === undefined) r.fail(at, 'missing required field: submit');
    }
    r.str(view, 'private_metadata', at, 3_000);
    r.str(view, 'callback_id', at, 255);
    r.str(view, 'external_id', at, 255);
    blocksOf(r, view, at, VIEW_BLOCKS, true);
  }
  return r.found.length > 0
    ? { error: 'invalid_arguments', messages: r.found.map(formatViolation) }
    : undefined;
}

/** The check Slack applies to a Web API method's arguments, for the methods that carry a message or a view. */
export function checkMethod(method: string, args: Obj): Rejection | undefined {
  switch (method) {
    case 'chat.postMessage':
    case 'chat.postEphemeral':
    case 'chat.update':
    case 'chat.scheduleMessage':
      return checkMessage(args);
    case 'views.open':
    case 'views.push':
    case 'views.update':
      return checkView(args.view, 'modal');
    case 'views.publish':
      return checkView(args.view, 'home');
    default:
      return undefined;
  }
}

/**
 * A POST to a response_url: a message like chat.postMessage's, except that one deleting the original needs no
 * content. Slack answers a bad one as it does an incoming webhook, with HTTP 400 and the error code as the text body
 * (https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks).
 */
export function checkResponseUrl(args: Obj): Rejection | undefined {
  if (args.delete_original === true || args.delete_original === 'true') return undefined;
  return checkMessage(args);
}
