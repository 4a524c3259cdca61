import fc from 'fast-check';
import { openStore } from '../../src/store';
import type { Store } from '../../src/store';
import {
  ACTION,
  DENY_MODAL,
  REASON_BLOCK,
  REASON_INPUT,
  REQUEST_FIELDS,
  REQUEST_MODAL,
  REVOKE_MODAL,
} from '../../src/slack/blocks';
import {
  ACCOUNT,
  APPROVAL_CHANNEL,
  APPROVER,
  APPROVER_2,
  APPROVER_GROUP,
  GROUP_MEMBER,
  OUTSIDER,
  REQUESTER,
  SIGNING_SECRET,
  startHarness,
} from '../support/harness';
import type { Harness } from '../support/harness';
import type { SlackCall } from '../support/fake-slack';
import {
  blockActionPayload,
  payloadBody,
  postSigned,
  slashCommandBody,
  viewSubmissionBody,
} from '../support/slack-requests';
import type { ViewStateValues } from '../support/slack-requests';

/**
 * Property-based: generated command texts and interaction payloads, signed as Slack signs them, through the real
 * app (Bolt HTTP, the access services, SQLite, the AWS SDK against the IAM emulator). Whatever comes in, the bot
 * stays up, answers every command, answers every interaction (200, or Bolt's 404 for an action or dialog it has no
 * listener for), never echoes a mention or link it did not make, and reaches approvers only for a valid request
 * and IAM never (nothing here is approved).
 */

const ROLES = ['connect-admins', 'connect-agents', 'finance-admins', 'connect-ops'];
/** What a valid request may name: the existing roles ALLOWED_ROLES allows. */
const GRANTABLE = new Set([
  `arn:aws:iam::${ACCOUNT}:role/connect-admins`,
  `arn:aws:iam::${ACCOUNT}:role/connect-agents`,
  `arn:aws:iam::${ACCOUNT}:role/ops/connect-ops`,
]);
const APPROVERS = new Set([APPROVER, APPROVER_2, GROUP_MEMBER]);
const POOL = '\u0001POOL\u0001'; // replaced at run time by the ID of a request that exists

let h: Harness;
let store: Store;
/** IDs of the requests the fuzz created (all pending: nothing is ever approved). */
const pool: string[] = [];
let seq = 0;

beforeAll(async () => {
  h = await startHarness({ env: { LOG_LEVEL: 'info' } });
  store = await openStore(h.env.DATABASE_URL!);
  h.iam.addRole('connect-admins');
  h.iam.addRole('connect-agents');
  h.iam.addRole('finance-admins'); // exists, but ALLOWED_ROLES does not allow it
  h.iam.addRole('connect-ops', { path: '/ops/' });
  h.iam.addRole('cases-access-bot');
  h.iam.addRole('AWSServiceRoleForAmazonConnect_x', { path: '/aws-service-role/connect.amazonaws.com/' });
  // A few real pending requests, so payloads can name requests that exist.
  for (const role of ['connect-admins', 'connect-agents']) {
    const { reply } = await h.command(`onboard ${role} seed`);
    pool.push(/CA-[0-9A-Z]{10}/.exec(reply)![0]);
  }
});
afterAll(async () => {
  await store?.close();
  await h?.close();
});

/** Waits for the first call after `from` matching, scanning only new calls. */
async function nextCall(
  from: number,
  match: (c: SlackCall) => boolean,
  timeoutMs = 10_000,
): Promise<SlackCall> {
  const started = Date.now();
  let i = from;
  for (;;) {
    for (; i < h.slack.calls.length; i++) if (match(h.slack.calls[i]!)) return h.slack.calls[i]!;
    if (Date.now() - started > timeoutMs) throw new Error(`no matching Slack call within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Puts a real request ID where the generator left a placeholder (lower-cased for its lower-cased twin). */
function withPool(text: string, n: number): string {
  const id = pool.length ? pool[n % pool.length]! : 'CA-0000000000';
  return text.split(POOL).join(id).split(POOL.toLowerCase()).join(id.toLowerCase());
}
/** Whether `value` names a real request, however it is written. */
const isPooled = (value: string) => pool.includes(value.trim().toUpperCase());

/** Every `<…>` control sequence must be one the bot made: its own links into Slack, known users, the approvers' group. */
const ALLOWED_SEQUENCE = new RegExp(
  `^<(https://fake\\.slack\\.test/archives/[A-Z0-9]+/p\\d+\\|[^<>|]*|@(${[REQUESTER, APPROVER, APPROVER_2, GROUP_MEMBER, OUTSIDER].join('|')})|!subteam\\^${APPROVER_GROUP}|!date\\^\\d+\\^[^<>]*)>$`,
);
/**
 * Sequences Slack acts on (`<!channel>`, `<@U…>`, `<#C…>`, `<scheme:…|…>`) that the bot did not make itself. The
 * bot's syntax placeholders (`<role ARN or name>`) are none of these.
 */
function foreignSequences(text: string): string[] {
  return (text.match(/<[^>]*>?/g) ?? []).filter(
    (s) => /^<([!@#]|[^>]*:)/.test(s) && !ALLOWED_SEQUENCE.test(s),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Generators

const space = fc.constantFrom(' ', ' ', ' ', '  ', '\t', '\n', '\u00a0', '\u3000', ' \n ');
const nasty = fc.constantFrom(
  '<!channel>',
  '<!here>',
  '<!everyone>',
  '<@U0ADMIN>',
  '<#C0SECRET>',
  '<!subteam^S0ADMINS>',
  '<https://evil.example|docs.aws.amazon.com>',
  '<mailto:x@evil.example>',
  '&',
  '&amp;lt;',
  '*Role*',
  '`',
  '```',
  '~x~',
  '_x_',
  '>quote',
  '\u202e',
  '💥',
  'é',
  '\u0000',
  '%00',
  '"',
  "'",
  '\\',
  '{"a":1}',
  '--',
  '—managed',
  'CA-',
  POOL,
);
const word = fc.oneof(
  { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }) },
  { weight: 2, arbitrary: fc.stringMatching(/^[\w+=,.@-]{1,20}$/) },
  { weight: 3, arbitrary: nasty },
);
const roleName = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      ...ROLES,
      'connect-missing',
      'cases-access-bot',
      'AWSServiceRoleForAmazonConnect_x',
      'CONNECT-ADMINS',
    ),
  },
  { weight: 2, arbitrary: fc.stringMatching(/^[\w+=,.@-]{1,70}$/) },
  { weight: 1, arbitrary: word },
);
const account = fc.oneof(
  { weight: 5, arbitrary: fc.constant(ACCOUNT) },
  { weight: 1, arbitrary: fc.constantFrom('999999999999', '1234', '', '11112222333a') },
  { weight: 1, arbitrary: fc.stringMatching(/^\d{12}$/) },
);
const rolePath = fc.oneof(
  { weight: 5, arbitrary: fc.constant('/') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '/ops/',
      '/aws-service-role/connect.amazonaws.com/',
      '/<!channel>/',
      '/a&b<c>/',
      '//',
      '',
    ),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^\/([\x21-\x2e\x30-\x7e]{1,20}\/){1,3}$/) },
  { weight: 1, arbitrary: fc.integer({ min: 500, max: 700 }).map((n) => `/${'p'.repeat(n)}/`) },
);
const partition = fc.constantFrom('aws', 'aws', 'aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'AWS', '');
const roleArn = fc
  .tuple(partition, account, rolePath, roleName)
  .map(([p, a, path, name]) => `arn:${p}:iam::${a}:role${path}${name}`);
const role = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...ROLES, `arn:aws:iam::${ACCOUNT}:role/connect-admins`) },
  { weight: 3, arbitrary: roleName },
  { weight: 3, arbitrary: roleArn },
  { weight: 1, arbitrary: word },
);
const instance = fc.oneof(
  fc.uuid(),
  fc.uuid().map((u) => `arn:aws:connect:us-east-1:${ACCOUNT}:instance/${u}`),
  fc.uuid().map((u) => `arn:aws:connect:eu-west-2:999999999999:instance/${u}`),
  fc.constantFrom('nope', 'arn:aws:connect:us-east-1:1:instance/x'),
  word,
);
const duration = fc.oneof(
  fc.constantFrom('30m', '8h', '7d', '0m', '1s', '99999999d', '-1h', 'forever', '1.5h', '1h30m'),
  fc.stringMatching(/^\d{1,8}[smhdw]$/),
  word,
);
const flag = fc.oneof(
  fc.constant(['--managed']),
  fc.constant(['--managed']),
  fc.uuid().map((u) => ['--instance', u]),
  fc.constantFrom('30m', '8h', '7d').map((d) => ['--for', d]),
  instance.map((i) => ['--instance', i]),
  fc.constant(['--instance']),
  duration.map((d) => ['--for', d]),
  fc.constant(['--for']),
  fc.constantFrom(['--bogus'], ['--'], ['--MANAGED'], ['-managed'], ['--managed=true'], ['—managed']),
);
const reason = fc.oneof(
  { weight: 4, arbitrary: fc.array(word, { maxLength: 12 }).map((w) => w.join(' ')) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  { weight: 1, arbitrary: fc.integer({ min: 480, max: 620 }).map((n) => `because ${'r'.repeat(n)}`) },
  { weight: 1, arbitrary: fc.constant('') },
);
const verb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('onboard', 'view') },
  { weight: 1, arbitrary: fc.constantFrom('Onboard', 'VIEW', 'help', 'delete', 'grant', 'onboard:') },
);
/** Close to the grammar: a verb, a role, flags (good and bad), a reason. */
const nearValid = fc
  .tuple(verb, fc.option(role, { freq: 8 }), fc.array(flag, { maxLength: 3 }), reason, space, space)
  .map(
    ([v, r, flags, why, s1, s2]) =>
      [v, ...(r === null ? [] : [r]), ...flags.flat(), why].filter((t) => t !== '').join(s1) + s2,
  );
const lifecycle = fc
  .tuple(
    fc.constantFrom('revoke', 'status', 'audit', 'STATUS', 'Revoke'),
    fc.option(
      fc.oneof(
        fc.constant(POOL),
        fc.stringMatching(/^CA-[0-9A-Z]{10}$/),
        fc.constant(POOL.toLowerCase()),
        role,
      ),
      { freq: 6 },
    ),
    reason,
  )
  .map(([v, target, why]) => [v, target ?? '', why].filter((t) => t !== '').join(' '));
const random = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({
    unit: fc.constantFrom(' ', '\n', '\t', '-', 'a', '<', '>', '&', '*', '`', '@', ':', '/'),
    maxLength: 60,
  }),
  fc.constantFrom('', ' ', '\n', '\t \n', '\u00a0', '\u3000'),
);
const veryLong = fc
  .tuple(
    fc.constantFrom('onboard connect-admins ', 'view ', '', 'onboard --managed '),
    fc.integer({ min: 2_000, max: 40_000 }),
    nasty,
  )
  .map(([prefix, n, chunk]) => prefix + chunk.repeat(Math.ceil(n / Math.max(chunk.length, 1))));

const commandText = fc.oneof(
  { weight: 10, arbitrary: nearValid },
  { weight: 3, arbitrary: lifecycle },
  { weight: 4, arbitrary: random },
  { weight: 1, arbitrary: veryLong },
);
const commandUser = fc.constantFrom(REQUESTER, REQUESTER, REQUESTER, APPROVER, OUTSIDER);

// ---------------------------------------------------------------------------------------------------------------

describe('fuzzed input through the real app', () => {
  it('1,000 generated command texts: each answered, none crashes the bot, only valid requests reach approvers, IAM is never written', async () => {
    const confirmed = new Map<string, string>(); // request ID → command text
    await fc.assert(
      fc.asyncProperty(commandText, commandUser, fc.nat(), async (generated, user, n) => {
        const text = withPool(generated, n);
        const id = `fuzz-cmd-${++seq}`;
        const triggerId = `${seq}.${Date.now()}.fuzz`;
        const from = h.slack.calls.length;
        const res = await postSigned(
          h.url,
          slashCommandBody({ text, userId: user, responseUrl: h.slack.responseUrl(id), triggerId }),
          SIGNING_SECRET,
        );
        expect(res.status).toBe(200);
        if (text.trim() === '') {
          // The command alone opens the request dialog.
          const opened = await nextCall(
            from,
            (c) => c.method === 'views.open' && c.args.trigger_id === triggerId,
          );
          expect((opened.args.view as { callback_id?: string }).callback_id).toBe(REQUEST_MODAL);
          return;
        }
        // Answers known at once (help, grammar errors) come in the ack's body, the others on the response_url.
        const inAck = res.json as { text?: unknown; response_type?: unknown } | undefined;
        const answer =
          typeof inAck?.text === 'string'
            ? inAck
            : (await nextCall(from, (c) => c.method === 'response_url' && c.responseUrlId === id)).args;
        const reply = String(answer.text ?? '');
        expect(answer.response_type).toBe('ephemeral');
        expect(reply).not.toBe('');
        expect(reply).not.toMatch(/Something went wrong/);
        expect(foreignSequences(reply)).toEqual([]);
        const submitted = /^:inbox_tray: Request `(CA-[0-9A-Z]{10})` is waiting/.exec(reply);
        if (submitted) {
          // Only the grammar's request verbs can have made a request.
          expect(text.trim().split(/\s+/)[0]!.toLowerCase()).toMatch(/^(onboard|view)$/);
          confirmed.set(submitted[1]!, text);
          pool.push(submitted[1]!);
        }
      }),
      { numRuns: 1000 },
    );

    // The generators reach every path: dialogs, refusals and valid requests.
    expect(confirmed.size).toBeGreaterThan(20);
    // Only the requests answered as submitted reached the approval channel, one card each, for grantable roles.
    const cards = h.slack.callsOf('chat.postMessage').filter((c) => c.args.channel === APPROVAL_CHANNEL);
    expect(cards.every((c) => !c.args.thread_ts)).toBe(true); // nothing decided, so no thread replies
    const cardIds = cards.map((c) => /CA-[0-9A-Z]{10}/.exec(String(c.args.text))?.[0]);
    for (const id of confirmed.keys()) expect(cardIds.filter((x) => x === id)).toHaveLength(1);
    for (const id of cardIds) expect(pool).toContain(id);
    for (const id of confirmed.keys()) {
      const request = (await store.getRequest(id))!;
      expect(request.state).toBe('pending');
      expect(GRANTABLE.has(request.role.arn)).toBe(true);
      expect(request.reason.length).toBeLessThanOrEqual(500);
    }
    expectNothingWritten();
    await expectHealthy();
  }, 120_000);

  it('a reason over 500 characters gets the clear message; up to 500 is accepted', async () => {
    const reasonText = fc
      .tuple(fc.integer({ min: 450, max: 560 }), fc.constantFrom('a', 'é', '<', ' x', '*'))
      .map(([n, unit]) => `z${unit.repeat(n)}z`.slice(0, n));
    await fc.assert(
      fc.asyncProperty(reasonText, async (why) => {
        const { reply } = await h.command(`view connect-admins ${why}`);
        const length = why.trim().length;
        if (length > 500)
          expect(reply).toMatch(new RegExp(`The reason is ${length} characters; keep it to 500`));
        else {
          const id = /^:inbox_tray: Request `(CA-[0-9A-Z]{10})`/.exec(reply)?.[1];
          expect(id).toBeDefined();
          pool.push(id!);
        }
      }),
      { numRuns: 40 },
    );
    expectNothingWritten();
  }, 60_000);

  it('300 generated interaction payloads: each acknowledged, nothing approved, nothing written', async () => {
    const knownActions = Object.values(ACTION) as string[];
    const knownViews = [DENY_MODAL, REVOKE_MODAL, REQUEST_MODAL];
    const value = fc.oneof(
      { weight: 4, arbitrary: fc.constant(POOL) },
      { weight: 2, arbitrary: fc.stringMatching(/^CA-[0-9A-Z]{10}$/) },
      { weight: 1, arbitrary: fc.constantFrom('', 'CA-', POOL.toLowerCase(), ' ') },
      { weight: 1, arbitrary: word },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 100 }) },
      { weight: 1, arbitrary: fc.integer({ min: 3000, max: 6000 }).map((n) => 'v'.repeat(n)) },
    );
    const user = fc.constantFrom(
      REQUESTER,
      OUTSIDER,
      'UFUZZ000',
      'W0FUZZ00',
      APPROVER,
      APPROVER_2,
      GROUP_MEMBER,
    );
    const rareUnknown = (known: string[]) =>
      fc.oneof(
        { weight: 50, arbitrary: fc.constantFrom(...known) },
        { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 30 }) },
      );
    const blockAction = fc.record({
      kind: fc.constant('action' as const),
      actionId: rareUnknown(knownActions),
      value,
      user,
      type: fc.constantFrom('button', 'button', 'button', 'static_select', 'overflow'),
    });
    const inputState = fc.oneof(
      fc.record({ type: fc.constant('plain_text_input'), value: fc.oneof(word, reason, fc.constant(POOL)) }),
      fc.record({
        type: fc.constant('radio_buttons'),
        selected_option: fc.record({
          value: fc.oneof(fc.constantFrom('onboard', 'view', 'minimal', 'managed'), word),
        }),
      }),
      fc.record({ type: fc.constant('plain_text_input'), value: fc.constant(null) }),
      fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    );
    /** Random state, or the request dialog's fields with random (sometimes valid) values. */
    const viewState: fc.Arbitrary<ViewStateValues> = fc.oneof(
      fc.dictionary(
        fc.oneof(fc.constantFrom(REASON_BLOCK, ...REQUEST_FIELDS), fc.string({ maxLength: 10 })),
        fc.dictionary(
          fc.oneof(fc.constantFrom(REASON_INPUT, ...REQUEST_FIELDS), fc.string({ maxLength: 10 })),
          inputState,
          {
            maxKeys: 2,
          },
        ),
        { maxKeys: 4 },
      ) as fc.Arbitrary<ViewStateValues>,
      fc
        .record({
          task: fc.oneof(fc.constantFrom('onboard', 'view'), word),
          option: fc.oneof(fc.constantFrom('minimal', 'managed'), word),
          role: fc.oneof(
            fc.constantFrom('connect-admins', 'connect-agents', 'finance-admins', 'cases-access-bot'),
            role,
          ),
          instance: fc.option(instance),
          duration: fc.option(duration),
          reason: fc.option(reason),
        })
        .map((f): ViewStateValues => ({
          task: { task: { type: 'radio_buttons', selected_option: { value: f.task } } },
          option: { option: { type: 'radio_buttons', selected_option: { value: f.option } } },
          role: { role: { type: 'plain_text_input', value: f.role } },
          instance: { instance: { type: 'plain_text_input', value: f.instance } },
          duration: { duration: { type: 'plain_text_input', value: f.duration } },
          reason: { reason: { type: 'plain_text_input', value: f.reason } },
        })),
    );
    const viewSubmission = fc.record({
      kind: fc.constant('view' as const),
      callbackId: rareUnknown(knownViews),
      privateMetadata: value,
      user,
      values: viewState,
    });
    const payload = fc.oneof(blockAction, viewSubmission);

    let sent = 0;
    const dmConfirmed: string[] = [];
    // Four at a time: Bolt answers an interaction it has no listener for only after its 3-second timeout.
    await fc.assert(
      fc.asyncProperty(fc.array(payload, { minLength: 4, maxLength: 4 }), fc.nat(), async (batch, n) => {
        await Promise.all(
          batch.map(async (p, k) => {
            sent += 1;
            const responseId = `fuzz-int-${++seq}`;
            let body: string;
            let known: boolean;
            if (p.kind === 'action') {
              let actionValue = withPool(p.value, n + k);
              // Never approve a real request (that is the one path that writes to IAM).
              const approving =
                p.actionId === ACTION.approve && APPROVERS.has(p.user) && isPooled(actionValue);
              if (approving) actionValue = `${actionValue}-not`;
              known = knownActions.includes(p.actionId);
              const action = blockActionPayload({
                userId: p.user,
                actionId: p.actionId,
                value: actionValue,
                channelId: APPROVAL_CHANNEL,
                messageTs: '1700000000.000100',
                responseUrl: h.slack.responseUrl(responseId),
              });
              (action.actions as Array<Record<string, unknown>>)[0]!.type = p.type;
              body = payloadBody(action);
            } else {
              let metadata = withPool(p.privateMetadata, n + k);
              // Never deny a real request either (a decision, posted to approvers).
              if (p.callbackId === DENY_MODAL && APPROVERS.has(p.user) && isPooled(metadata))
                metadata = `${metadata}-not`;
              known = knownViews.includes(p.callbackId);
              const values = JSON.parse(withPool(JSON.stringify(p.values), n + k)) as ViewStateValues;
              body = viewSubmissionBody({
                userId: p.user,
                callbackId: p.callbackId,
                privateMetadata: metadata,
                values,
              });
            }
            const res = await postSigned(h.url, body, SIGNING_SECRET);
            // A click on a button the bot does not know is acked too (the fallback listener); a dialog it does not
            // know is left to Bolt's 404.
            expect(res.status).toBe(known || p.kind === 'action' ? 200 : 404);
          }),
        );
      }),
      { numRuns: 75 },
    );
    expect(sent).toBeGreaterThanOrEqual(300);

    // Let the work acknowledged above finish (dialog submissions are handled after their ack).
    await new Promise((r) => setTimeout(r, 300));
    for (const c of h.slack.callsOf('chat.postMessage')) {
      const text = String(c.args.text ?? '');
      expect(foreignSequences(text)).toEqual([]);
      const id = /^:inbox_tray: Request `(CA-[0-9A-Z]{10})` is waiting/.exec(text)?.[1];
      if (id && c.args.channel !== APPROVAL_CHANNEL) dmConfirmed.push(id);
    }
    for (const c of h.slack.callsOf('response_url'))
      expect(foreignSequences(String(c.args.text ?? ''))).toEqual([]);
    // Dialog submissions that were valid requests got a card; nothing else did.
    const cards = h.slack.callsOf('chat.postMessage').filter((c) => c.args.channel === APPROVAL_CHANNEL);
    expect(cards.every((c) => !c.args.thread_ts)).toBe(true);
    for (const c of cards) {
      const id = /CA-[0-9A-Z]{10}/.exec(String(c.args.text))![0];
      expect([...pool, ...dmConfirmed]).toContain(id);
      expect(GRANTABLE.has((await store.getRequest(id))!.role.arn)).toBe(true);
    }
    const pending = await store.listRequests({ states: ['pending'] });
    // An identical pending request is answered with the first one's ID: count each request once.
    expect(pending.length).toBe(new Set([...pool, ...dmConfirmed]).size);
    expectNothingWritten();
    await expectHealthy();
  }, 120_000);
});

function expectNothingWritten(): void {
  const writes = h.iam.calls.filter((c) =>
    ['PutRolePolicy', 'AttachRolePolicy', 'DeleteRolePolicy', 'DetachRolePolicy'].includes(c.action),
  );
  expect(writes).toEqual([]);
  expect(h.slack.callsOf('chat.update')).toEqual([]); // no card changed state
}

async function expectHealthy(): Promise<void> {
  expect((await fetch(`http://127.0.0.1:${h.bot.port}/healthz`)).status).toBe(200);
  // No listener threw past its own error handling.
  const crashes = h.logLines.filter((l) =>
    /unhandled Slack listener error|An unhandled error occurred|command failed|approve failed|retry failed/.test(
      l,
    ),
  );
  expect(crashes).toEqual([]);
}
