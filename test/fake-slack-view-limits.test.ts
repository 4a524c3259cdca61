/**
 * The fake Slack refuses a view (modal or Home tab) that breaks one of Slack's documented limits the way Slack does:
 * `invalid_arguments` with `[ERROR] … [json-pointer:/view/…]` messages, over real HTTP through @slack/web-api; each
 * limit is also accepted exactly at its value. Messages are in fake-slack-limits.test.ts.
 */
import { startFakeSlack } from './support/fake-slack';
import type { FakeSlack } from './support/fake-slack';
import { chars, clientFor, refusalOf } from './support/fake-slack-client';

let fake: FakeSlack;

beforeEach(async () => {
  fake = await startFakeSlack();
});

afterEach(async () => {
  await fake.close();
});

type Json = Record<string, unknown>;
const pt = (text: string): Json => ({ type: 'plain_text', text });
const md = (text: string): Json => ({ type: 'mrkdwn', text });
const textInput = (over: Json = {}): Json => ({ type: 'plain_text_input', action_id: 'reason', ...over });
const input = (over: Json = {}): Json => ({
  type: 'input',
  block_id: 'reason_block',
  label: pt('Reason'),
  element: textInput(),
  ...over,
});
const modal = (over: Json = {}): Json => ({
  type: 'modal',
  title: pt('Deny request'),
  submit: pt('Deny'),
  close: pt('Cancel'),
  blocks: [input()],
  ...over,
});
const open = (view: Json) => clientFor(fake).apiCall('views.open', { trigger_id: '1.2.abc', view });
const refused = (messages: string[]) => ({ error: 'invalid_arguments', messages });

describe('modal limits', () => {
  const cases: Array<[string, number, (n: number) => Json, string]> = [
    ['title', 24, (n) => modal({ title: pt(chars(n)) }), '/view/title/text'],
    ['submit', 24, (n) => modal({ submit: pt(chars(n)) }), '/view/submit/text'],
    ['close', 24, (n) => modal({ close: pt(chars(n)) }), '/view/close/text'],
    ['private_metadata', 3_000, (n) => modal({ private_metadata: chars(n) }), '/view/private_metadata'],
    ['callback_id', 255, (n) => modal({ callback_id: chars(n) }), '/view/callback_id'],
    [
      'input label',
      2_000,
      (n) => modal({ blocks: [input({ label: pt(chars(n)) })] }),
      '/view/blocks/0/label/text',
    ],
    [
      'input hint',
      2_000,
      (n) => modal({ blocks: [input({ hint: pt(chars(n)) })] }),
      '/view/blocks/0/hint/text',
    ],
    [
      'text input placeholder',
      150,
      (n) => modal({ blocks: [input({ element: textInput({ placeholder: pt(chars(n)) }) })] }),
      '/view/blocks/0/element/placeholder/text',
    ],
  ];

  it.each(cases)('%s: %d characters accepted, one more refused', async (_name, max, view, pointer) => {
    await expect(open(view(max))).resolves.toMatchObject({ ok: true });
    await expect(refusalOf(open(view(max + 1)))).resolves.toEqual(
      refused([`[ERROR] must be less than ${max + 1} characters [json-pointer:${pointer}]`]),
    );
  });

  it('plain_text_input max_length: 3,000 accepted, 3,001 refused', async () => {
    const withMax = (n: number) => modal({ blocks: [input({ element: textInput({ max_length: n }) })] });
    await expect(open(withMax(3_000))).resolves.toMatchObject({ ok: true });
    await expect(refusalOf(open(withMax(3_001)))).resolves.toEqual(
      refused(['[ERROR] must be at most 3000 [json-pointer:/view/blocks/0/element/max_length]']),
    );
  });

  it('blocks: 100 accepted, 101 refused', async () => {
    const dividers = (n: number) => modal({ blocks: Array.from({ length: n }, () => ({ type: 'divider' })) });
    await expect(open(dividers(100))).resolves.toMatchObject({ ok: true });
    await expect(refusalOf(open(dividers(101)))).resolves.toEqual(
      refused(['[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]']),
    );
  });

  it('radio buttons: 10 options accepted, 11 refused', async () => {
    const options = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ text: pt(`o${i}`), value: `o${i}` }));
    const radios = (n: number) =>
      modal({ blocks: [input({ element: { type: 'radio_buttons', action_id: 'r', options: options(n) } })] });
    await expect(open(radios(10))).resolves.toMatchObject({ ok: true });
    await expect(refusalOf(open(radios(11)))).resolves.toEqual(
      refused(['[ERROR] no more than 10 items allowed [json-pointer:/view/blocks/0/element/options]']),
    );
  });
});

describe('modal text types and required fields', () => {
  const cases: Array<[string, Json, string]> = [
    ['title', modal({ title: md('Deny') }), '/view/title/type'],
    ['submit', modal({ submit: md('Deny') }), '/view/submit/type'],
    ['input label', modal({ blocks: [input({ label: md('*Reason*') })] }), '/view/blocks/0/label/type'],
  ];

  it.each(cases)('%s as mrkdwn is refused', async (_name, view, pointer) => {
    await expect(refusalOf(open(view))).resolves.toEqual(
      refused([`[ERROR] must be one of the following: plain_text [json-pointer:${pointer}]`]),
    );
  });

  it('refuses a modal without a title, and one with an input block but no submit button', async () => {
    await expect(refusalOf(open(modal({ title: undefined })))).resolves.toEqual(
      refused(['[ERROR] missing required field: title [json-pointer:/view]']),
    );
    await expect(refusalOf(open(modal({ submit: undefined })))).resolves.toEqual(
      refused(['[ERROR] missing required field: submit [json-pointer:/view]']),
    );
    await expect(open(modal({ submit: undefined, blocks: [{ type: 'divider' }] }))).resolves.toMatchObject({
      ok: true,
    });
  });

  it('refuses two input blocks with the same block_id', async () => {
    await expect(refusalOf(open(modal({ blocks: [input(), input()] })))).resolves.toEqual(
      refused(['[ERROR] duplicate block_id: reason_block [json-pointer:/view/blocks/1/block_id]']),
    );
  });
});

describe('every views method', () => {
  it('checks views.update and views.push as modals, and views.publish as a Home tab', async () => {
    const client = clientFor(fake);
    const longTitle = modal({ title: pt(chars(25)) });
    const titleTooLong = refused(['[ERROR] must be less than 25 characters [json-pointer:/view/title/text]']);
    await expect(
      refusalOf(client.apiCall('views.update', { view_id: 'V1', view: longTitle })),
    ).resolves.toEqual(titleTooLong);
    await expect(
      refusalOf(client.apiCall('views.push', { trigger_id: 't', view: longTitle })),
    ).resolves.toEqual(titleTooLong);
    const home = (n: number) => ({
      type: 'home',
      blocks: Array.from({ length: n }, () => ({ type: 'divider' })),
    });
    await expect(client.apiCall('views.publish', { user_id: 'U1', view: home(100) })).resolves.toMatchObject({
      ok: true,
    });
    await expect(
      refusalOf(client.apiCall('views.publish', { user_id: 'U1', view: home(101) })),
    ).resolves.toEqual(refused(['[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]']));
    expect(fake.callsOf('views.publish')[1]).toMatchObject({ error: 'invalid_arguments' });
  });
});
