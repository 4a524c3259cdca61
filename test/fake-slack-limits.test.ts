/**
 * The fake Slack refuses a message that breaks one of Slack's documented Block Kit limits the way Slack does
 * (test/support/block-kit-rules.ts), over real HTTP through @slack/web-api; each limit is also accepted exactly at
 * its value. Views are in fake-slack-view-limits.test.ts.
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
const button = (over: Json = {}): Json => ({ type: 'button', action_id: 'go', text: pt('Go'), ...over });
const dialog = (over: Json): Json => ({
  title: pt('Sure?'),
  text: pt('Really.'),
  confirm: pt('Yes'),
  deny: pt('No'),
  ...over,
});
const actions = (...elements: Json[]): Json[] => [{ type: 'actions', elements }];
const post = (blocks: unknown, text = 'fallback') =>
  clientFor(fake).apiCall('chat.postMessage', { channel: 'C1', text, blocks });

const tooLong = (max: number, pointer: string) =>
  `[ERROR] must be less than ${max + 1} characters [json-pointer:${pointer}]`;

describe('text lengths in a message', () => {
  const cases: Array<[string, number, (n: number) => unknown[], string]> = [
    ['section text', 3_000, (n) => [{ type: 'section', text: md(chars(n)) }], '/blocks/0/text/text'],
    [
      'section field',
      2_000,
      (n) => [{ type: 'section', fields: [md('a'), md(chars(n))] }],
      '/blocks/0/fields/1/text',
    ],
    ['header text', 150, (n) => [{ type: 'header', text: pt(chars(n)) }], '/blocks/0/text/text'],
    [
      'context text',
      3_000,
      (n) => [{ type: 'context', elements: [md(chars(n))] }],
      '/blocks/0/elements/0/text',
    ],
    ['button text', 75, (n) => actions(button({ text: pt(chars(n)) })), '/blocks/0/elements/0/text/text'],
    ['button value', 2_000, (n) => actions(button({ value: chars(n) })), '/blocks/0/elements/0/value'],
    [
      'button url',
      3_000,
      (n) => actions(button({ url: `https://e.test/${chars(n - 15)}` })),
      '/blocks/0/elements/0/url',
    ],
    ['action_id', 255, (n) => actions(button({ action_id: chars(n) })), '/blocks/0/elements/0/action_id'],
    ['block_id', 255, (n) => [{ type: 'divider', block_id: chars(n) }], '/blocks/0/block_id'],
    [
      'confirm title',
      100,
      (n) => actions(button({ confirm: dialog({ title: pt(chars(n)) }) })),
      '/blocks/0/elements/0/confirm/title/text',
    ],
    [
      'confirm text',
      300,
      (n) => actions(button({ confirm: dialog({ text: pt(chars(n)) }) })),
      '/blocks/0/elements/0/confirm/text/text',
    ],
    [
      'confirm button',
      30,
      (n) => actions(button({ confirm: dialog({ confirm: pt(chars(n)) }) })),
      '/blocks/0/elements/0/confirm/confirm/text',
    ],
    [
      'deny button',
      30,
      (n) => actions(button({ confirm: dialog({ deny: pt(chars(n)) }) })),
      '/blocks/0/elements/0/confirm/deny/text',
    ],
  ];

  it.each(cases)('%s: %d characters accepted, one more refused', async (_name, max, blocks, pointer) => {
    await expect(post(blocks(max))).resolves.toMatchObject({ ok: true });
    await expect(refusalOf(post(blocks(max + 1)))).resolves.toEqual({
      error: 'invalid_blocks',
      messages: [tooLong(max, pointer)],
    });
  });

  it('counts characters, not UTF-16 units: 150 emoji fit a header', async () => {
    await expect(post([{ type: 'header', text: pt(chars(150, '😀')) }])).resolves.toMatchObject({ ok: true });
  });

  it('refuses an empty text object', async () => {
    await expect(refusalOf(post([{ type: 'section', text: md('') }]))).resolves.toEqual({
      error: 'invalid_blocks',
      messages: ['[ERROR] must be more than 0 characters [json-pointer:/blocks/0/text/text]'],
    });
  });
});

describe('item counts in a message', () => {
  const buttons = (n: number) => Array.from({ length: n }, (_, i) => button({ action_id: `b${i}` }));
  const cases: Array<[string, number, (n: number) => unknown[], string]> = [
    ['blocks', 50, (n) => Array.from({ length: n }, () => ({ type: 'divider' })), '/blocks'],
    [
      'section fields',
      10,
      (n) => [{ type: 'section', fields: Array.from({ length: n }, () => md('f')) }],
      '/blocks/0/fields',
    ],
    [
      'context elements',
      10,
      (n) => [{ type: 'context', elements: Array.from({ length: n }, () => md('c')) }],
      '/blocks/0/elements',
    ],
    ['actions elements', 25, (n) => actions(...buttons(n)), '/blocks/0/elements'],
  ];

  it.each(cases)('%s: %d accepted, one more refused', async (_name, max, blocks, pointer) => {
    await expect(post(blocks(max))).resolves.toMatchObject({ ok: true });
    await expect(refusalOf(post(blocks(max + 1)))).resolves.toEqual({
      error: 'invalid_blocks',
      messages: [`[ERROR] no more than ${max} items allowed [json-pointer:${pointer}]`],
    });
  });
});

describe('text object types Slack documents as plain_text only', () => {
  const cases: Array<[string, unknown[], string]> = [
    ['header text', [{ type: 'header', text: md('Title') }], '/blocks/0/text/type'],
    ['button text', actions(button({ text: md('Go') })), '/blocks/0/elements/0/text/type'],
    [
      'confirm title',
      actions(button({ confirm: dialog({ title: md('Sure?') }) })),
      '/blocks/0/elements/0/confirm/title/type',
    ],
    [
      'confirm text',
      actions(button({ confirm: dialog({ text: md('Really *sure*?') }) })),
      '/blocks/0/elements/0/confirm/text/type',
    ],
    [
      'confirm button',
      actions(button({ confirm: dialog({ confirm: md('Yes') }) })),
      '/blocks/0/elements/0/confirm/confirm/type',
    ],
    [
      'deny button',
      actions(button({ confirm: dialog({ deny: md('No') }) })),
      '/blocks/0/elements/0/confirm/deny/type',
    ],
  ];

  it.each(cases)('%s as mrkdwn is refused', async (_name, blocks, pointer) => {
    await expect(refusalOf(post(blocks))).resolves.toEqual({
      error: 'invalid_blocks',
      messages: [`[ERROR] must be one of the following: plain_text [json-pointer:${pointer}]`],
    });
  });

  it('accepts a confirm dialog written in plain_text', async () => {
    await expect(post(actions(button({ confirm: dialog({}) })))).resolves.toMatchObject({ ok: true });
  });
});

describe('identifiers in a message', () => {
  it('refuses two action_ids alike in one block, and accepts the same action_id in two blocks', async () => {
    await expect(refusalOf(post(actions(button(), button())))).resolves.toEqual({
      error: 'invalid_blocks',
      messages: ['[ERROR] duplicate action_id: go [json-pointer:/blocks/0/elements/1/action_id]'],
    });
    await expect(post([...actions(button()), ...actions(button())])).resolves.toMatchObject({ ok: true });
  });

  it('refuses two blocks with the same block_id', async () => {
    const blocks = [
      { type: 'divider', block_id: 'a' },
      { type: 'section', block_id: 'a', text: md('x') },
    ];
    await expect(refusalOf(post(blocks))).resolves.toEqual({
      error: 'invalid_blocks',
      messages: ['[ERROR] duplicate block_id: a [json-pointer:/blocks/1/block_id]'],
    });
  });
});

describe('message shape', () => {
  it('refuses top-level text past 40,000 characters with msg_too_long', async () => {
    await expect(post([], chars(40_000))).resolves.toMatchObject({ ok: true });
    await expect(refusalOf(post([], chars(40_001)))).resolves.toEqual({
      error: 'msg_too_long',
      messages: [],
    });
  });

  it('refuses a message with neither text nor blocks with no_text, and accepts blocks alone', async () => {
    await expect(refusalOf(post([], ''))).resolves.toEqual({ error: 'no_text', messages: [] });
    await expect(post([{ type: 'divider' }], '')).resolves.toMatchObject({ ok: true });
  });

  it('refuses blocks that are not an array with invalid_blocks_format', async () => {
    await expect(refusalOf(post('not blocks'))).resolves.toEqual({
      error: 'invalid_blocks_format',
      messages: [],
    });
  });

  it('refuses an unknown block type and a section with neither text nor fields', async () => {
    await expect(refusalOf(post([{ type: 'sectoin', text: md('x') }]))).resolves.toEqual({
      error: 'invalid_blocks',
      messages: ['[ERROR] unsupported type: sectoin [json-pointer:/blocks/0/type]'],
    });
    await expect(refusalOf(post([{ type: 'section' }]))).resolves.toEqual({
      error: 'invalid_blocks',
      messages: ['[ERROR] must provide either text or fields [json-pointer:/blocks/0]'],
    });
  });
});

describe('every way the bot sends a message', () => {
  const badConfirm = actions(button({ confirm: dialog({ text: pt(chars(301)) }) }));
  const violation = tooLong(300, '/blocks/0/elements/0/confirm/text/text');

  it('answers as Slack does, records the refusal and posts nothing', async () => {
    const res = await fetch(`${fake.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: 'Bearer xoxb-test', 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'C1', text: 'card', blocks: badConfirm }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      ok: false,
      error: 'invalid_blocks',
      errors: [violation.replace('[ERROR] ', '')],
      response_metadata: { messages: [violation] },
    });
    expect(fake.callsOf('chat.postMessage')[0]).toMatchObject({
      error: 'invalid_blocks',
      messages: [violation],
    });
    expect(fake.posted()).toHaveLength(0);
  });

  it('refuses the same blocks in chat.update and chat.postEphemeral', async () => {
    const client = clientFor(fake);
    const update = client.apiCall('chat.update', {
      channel: 'C1',
      ts: '1.000001',
      text: 'x',
      blocks: badConfirm,
    });
    await expect(refusalOf(update)).resolves.toEqual({ error: 'invalid_blocks', messages: [violation] });
    const ephemeral = client.apiCall('chat.postEphemeral', { channel: 'C1', user: 'U1', blocks: badConfirm });
    await expect(refusalOf(ephemeral)).resolves.toEqual({ error: 'invalid_blocks', messages: [violation] });
    await expect(
      refusalOf(client.apiCall('chat.update', { channel: 'C1', ts: '1.000001' })),
    ).resolves.toEqual({
      error: 'no_text',
      messages: [],
    });
  });

  it('answers a bad response_url post with HTTP 400 and the error code as its body', async () => {
    const send = (body: Json) =>
      fetch(fake.responseUrl('r1'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const bad = await send({ response_type: 'ephemeral', text: 'x', blocks: badConfirm });
    expect([bad.status, await bad.text()]).toEqual([400, 'invalid_blocks']);
    expect(fake.callsOf('response_url')[0]).toMatchObject({
      responseUrlId: 'r1',
      error: 'invalid_blocks',
      messages: [violation],
    });
    const empty = await send({ replace_original: false });
    expect([empty.status, await empty.text()]).toEqual([400, 'no_text']);
    const long = await send({ text: chars(40_001) });
    expect([long.status, await long.text()]).toEqual([400, 'msg_too_long']);
    expect((await send({ delete_original: true })).status).toBe(200);
    expect((await send({ text: 'fine', blocks: actions(button({ confirm: dialog({}) })) })).status).toBe(200);
  });
});
