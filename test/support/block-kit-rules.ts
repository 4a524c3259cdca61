/**
 * Slack's documented Block Kit limits, checked the way Slack's schema check reports them: each broken rule is a
 * `Violation` at a JSON pointer, rendered as `[ERROR] <message> [json-pointer:<pointer>]`. Used by the surface
 * checks in test/support/slack-surfaces.ts, which the fake Web API (test/support/fake-slack.ts) runs on every
 * message and view the bot sends.
 *
 * Lengths count Unicode characters (code points) of the raw string as sent, escapes included (`&lt;` is 4): the docs
 * give limits in "characters", and a bot that counts UTF-16 units (as src/slack/mrkdwn.ts does) stays within them.
 */

export interface Violation {
  pointer: string;
  message: string;
}

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const chars = (s: string): number => [...s].length;

export const formatViolation = (v: Violation): string => `[ERROR] ${v.message} [json-pointer:${v.pointer}]`;

/** Collects violations; each method checks one field of `parent`, found at pointer `at`. */
export class Rules {
  readonly found: Violation[] = [];

  fail(pointer: string, message: string): void {
    this.found.push({ pointer, message });
  }

  /** A string field of at most `max` characters. */
  str(parent: Obj, key: string, at: string, max: number, required = false): void {
    const value = parent[key];
    if (value === undefined) {
      if (required) this.fail(at, `missing required field: ${key}`);
      return;
    }
    if (typeof value !== 'string') return this.fail(`${at}/${key}`, 'must be a string');
    if (chars(value) > max) this.fail(`${at}/${key}`, `must be less than ${max + 1} characters`);
  }

  /** An integer field within [min, max]. */
  int(parent: Obj, key: string, at: string, min: number, max: number): void {
    const value = parent[key];
    if (value === undefined) return;
    if (typeof value !== 'number' || !Number.isInteger(value))
      return this.fail(`${at}/${key}`, 'must be an integer');
    if (value < min) this.fail(`${at}/${key}`, `must be at least ${min}`);
    if (value > max) this.fail(`${at}/${key}`, `must be at most ${max}`);
  }

  /**
   * A text object, plain_text only where Slack documents "plain_text" for the field. Every text object holds 1 to
   * 3,000 characters; `max` is the field's own, tighter limit.
   * https://docs.slack.dev/reference/block-kit/composition-objects/text-object
   */
  text(
    parent: Obj,
    key: string,
    at: string,
    max: number,
    o: { plain?: boolean; required?: boolean } = {},
  ): void {
    const t = parent[key];
    const p = `${at}/${key}`;
    if (t === undefined) {
      if (o.required) this.fail(at, `missing required field: ${key}`);
      return;
    }
    if (!isObj(t)) return this.fail(p, 'must provide an object');
    const allowed = o.plain ? ['plain_text'] : ['plain_text', 'mrkdwn'];
    if (typeof t.type !== 'string' || !allowed.includes(t.type))
      this.fail(`${p}/type`, `must be one of the following: ${allowed.join(', ')}`);
    if (typeof t.text !== 'string') return this.fail(p, 'missing required field: text');
    const limit = Math.min(max, 3_000);
    if (chars(t.text) < 1) this.fail(`${p}/text`, 'must be more than 0 characters');
    else if (chars(t.text) > limit) this.fail(`${p}/text`, `must be less than ${limit + 1} characters`);
  }

  /** An array field of at most `max` items; returns its items (none when absent or not an array). */
  items(parent: Obj, key: string, at: string, max: number, required = false): unknown[] {
    const value = parent[key];
    if (value === undefined) {
      if (required) this.fail(at, `missing required field: ${key}`);
      return [];
    }
    if (!Array.isArray(value)) {
      this.fail(`${at}/${key}`, 'must provide an array');
      return [];
    }
    if (value.length > max) this.fail(`${at}/${key}`, `no more than ${max} items allowed`);
    return value as unknown[];
  }
}

/**
 * Confirmation dialog: title, text, confirm and deny are all required plain_text (100, 300, 30, 30 characters).
 * The text was "a text object" (mrkdwn allowed) on the old api.slack.com page; the current reference says plain_text.
 * https://docs.slack.dev/reference/block-kit/composition-objects/confirmation-dialog-object
 */
function confirm(r: Rules, c: unknown, at: string): void {
  if (!isObj(c)) return r.fail(at, 'must provide an object');
  r.text(c, 'title', at, 100, { plain: true, required: true });
  r.text(c, 'text', at, 300, { plain: true, required: true });
  r.text(c, 'confirm', at, 30, { plain: true, required: true });
  r.text(c, 'deny', at, 30, { plain: true, required: true });
  if (c.style !== undefined && c.style !== 'primary' && c.style !== 'danger')
    r.fail(`${at}/style`, 'must be one of the following: primary, danger');
}

/**
 * Option object: text of at most 75 characters (plain_text, except in radio buttons and checkboxes, which take
 * mrkdwn too), value of at most 150, description of at most 75.
 * https://docs.slack.dev/reference/block-kit/composition-objects/option-object
 */
function option(r: Rules, o: unknown, at: string, plain: boolean): void {
  if (!isObj(o)) return r.fail(at, 'must provide an object');
  r.text(o, 'text', at, 75, { plain, required: true });
  r.str(o, 'value', at, 150);
  r.text(o, 'description', at, 75, { plain });
}

/**
 * An interactive element. `actionIds` holds the action_ids already used in the containing block: Slack documents
 * action_id as "unique among all other action_ids in the containing block", at most 255 characters.
 */
export function element(r: Rules, e: unknown, at: string, actionIds: Set<string>): void {
  if (!isObj(e)) return r.fail(at, 'must provide an object');
  r.str(e, 'action_id', at, 255);
  if (typeof e.action_id === 'string') {
    if (actionIds.has(e.action_id)) r.fail(`${at}/action_id`, `duplicate action_id: ${e.action_id}`);
    actionIds.add(e.action_id);
  }
  if (e.confirm !== undefined) confirm(r, e.confirm, `${at}/confirm`);
  switch (e.type) {
    // https://docs.slack.dev/reference/block-kit/block-elements/button-element
    case 'button':
      r.text(e, 'text', at, 75, { plain: true, required: true });
      r.str(e, 'value', at, 2_000);
      r.str(e, 'url', at, 3_000);
      r.str(e, 'accessibility_label', at, 75);
      if (e.style !== undefined && e.style !== 'primary' && e.style !== 'danger')
        r.fail(`${at}/style`, 'must be one of the following: primary, danger');
      return;
    // https://docs.slack.dev/reference/block-kit/block-elements/plain-text-input-element
    case 'plain_text_input':
      r.text(e, 'placeholder', at, 150, { plain: true });
      r.int(e, 'min_length', at, 0, 3_000);
      r.int(e, 'max_length', at, 1, 3_000);
      return;
    // https://docs.slack.dev/reference/block-kit/block-elements/radio-button-group-element (at most 10 options)
    case 'radio_buttons':
    case 'checkboxes':
      r.items(e, 'options', at, 10, true).forEach((o, i) => option(r, o, `${at}/options/${i}`, false));
      if (e.initial_option !== undefined) option(r, e.initial_option, `${at}/initial_option`, false);
      return;
    // https://docs.slack.dev/reference/block-kit/block-elements/select-menu-element (at most 100 options)
    case 'static_select':
    case 'multi_static_select':
      r.text(e, 'placeholder', at, 150, { plain: true });
      r.items(e, 'options', at, 100).forEach((o, i) => option(r, o, `${at}/options/${i}`, true));
      return;
    default:
      return;
  }
}

/** Block types Slack accepts in messages, modals and Home tabs; anything else is refused. */
const BLOCK_TYPES = new Set([
  'actions',
  'context',
  'divider',
  'file',
  'header',
  'image',
  'input',
  'markdown',
  'rich_text',
  'section',
  'video',
]);

/**
 * One layout block. `blockIds` holds the block_ids already used on the surface: a block_id is "a unique identifier
 * for a block", at most 255 characters. https://docs.slack.dev/reference/block-kit/blocks
 */
export function block(r: Rules, b: unknown, at: string, blockIds: Set<string>): void {
  if (!isObj(b)) return r.fail(at, 'must provide an object');
  r.str(b, 'block_id', at, 255);
  if (typeof b.block_id === 'string') {
    if (blockIds.has(b.block_id)) r.fail(`${at}/block_id`, `duplicate block_id: ${b.block_id}`);
    blockIds.add(b.block_id);
  }
  if (typeof b.type !== 'string' || !BLOCK_TYPES.has(b.type))
    return r.fail(`${at}/type`, `unsupported type: ${String(b.type)}`);
  const actionIds = new Set<string>();
  switch (b.type) {
    // Text 1 to 3,000 characters; or up to 10 fields of at most 2,000 each.
    // https://docs.slack.dev/reference/block-kit/blocks/section-block
    case 'section':
      r.text(b, 'text', at, 3_000);
      r.items(b, 'fields', at, 10).forEach((_, i) =>
        r.text(b.fields as Obj, String(i), `${at}/fields`, 2_000),
      );
      if (b.text === undefined && b.fields === undefined) r.fail(at, 'must provide either text or fields');
      if (b.accessory !== undefined) element(r, b.accessory, `${at}/accessory`, actionIds);
      return;
    // plain_text only, at most 150 characters. https://docs.slack.dev/reference/block-kit/blocks/header-block
    case 'header':
      return r.text(b, 'text', at, 150, { plain: true, required: true });
    // At most 10 elements (images or text objects). https://docs.slack.dev/reference/block-kit/blocks/context-block
    case 'context':
      r.items(b, 'elements', at, 10, true).forEach((e, i) => {
        if (isObj(e) && e.type !== 'image') r.text(b.elements as Obj, String(i), `${at}/elements`, 3_000);
      });
      return;
    // At most 25 elements. https://docs.slack.dev/reference/block-kit/blocks/actions-block
    case 'actions':
      r.items(b, 'elements', at, 25, true).forEach((e, i) => element(r, e, `${at}/elements/${i}`, actionIds));
      return;
    // Label and hint plain_text, at most 2,000 characters each.
    // https://docs.slack.dev/reference/block-kit/blocks/input-block
    case 'input':
      r.text(b, 'label', at, 2_000, { plain: true, required: true });
      r.text(b, 'hint', at, 2_000, { plain: true });
      if (b.element === undefined) return r.fail(at, 'missing required field: element');
      return element(r, b.element, `${at}/element`, actionIds);
    case 'rich_text':
      r.items(b, 'elements', at, Number.MAX_SAFE_INTEGER, true);
      return;
    default:
      return;
  }
}
