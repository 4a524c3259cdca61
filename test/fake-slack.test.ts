/**
 * Proves the test fakes against the real @slack/bolt App, in HTTP mode and in Socket Mode.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { App, LogLevel, webApi } from '@slack/bolt';
import { startFakeSlack } from './support/fake-slack';
import type { FakeSlack } from './support/fake-slack';
import {
  blockActionBody,
  postSigned,
  slashCommandBody,
  viewSubmissionBody,
  waitFor,
} from './support/slack-requests';

const SECRET = 'test-signing-secret';

let fake: FakeSlack;

beforeEach(async () => {
  fake = await startFakeSlack();
});

afterEach(async () => {
  await fake.close();
});

/** An HTTP-mode App on a random port; `app.start(0)` resolves with the node http.Server. */
async function startHttpApp(register: (app: App) => void): Promise<{ app: App; url: string }> {
  const app = new App({
    token: 'xoxb-test',
    signingSecret: SECRET,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } },
  });
  register(app);
  const server = (await app.start(0)) as Server;
  const { port } = server.address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}/slack/events` };
}

describe('fake Slack Web API', () => {
  it('answers Web API calls and records them', async () => {
    const client = new webApi.WebClient('xoxb-test', {
      slackApiUrl: fake.apiUrl,
      retryConfig: { retries: 0 },
      logLevel: LogLevel.ERROR,
    });
    fake.setUsergroup('S1', ['U1', 'U2']);

    const a = await client.chat.postMessage({ channel: 'C1', text: 'one', blocks: [{ type: 'divider' }] });
    const b = await client.chat.postMessage({ channel: 'U9', text: 'dm' });
    expect(a.ts! < b.ts!).toBe(true);
    expect(b.channel).toMatch(/^D/);
    const open = await client.conversations.open({ users: 'U9' });
    expect(open.channel?.id).toBe(b.channel);
    const link = await client.chat.getPermalink({ channel: 'C1', message_ts: a.ts! });
    expect(link.permalink).toBe(`https://fake.slack.test/archives/C1/p${a.ts!.replace('.', '')}`);
    expect((await client.usergroups.users.list({ usergroup: 'S1' })).users).toEqual(['U1', 'U2']);
    await expect(client.usergroups.users.list({ usergroup: 'S404' })).rejects.toMatchObject({
      data: { ok: false, error: 'no_such_subteam' },
    });
    const eph = await client.chat.postEphemeral({ channel: 'C1', user: 'U1', text: 'psst' });
    expect(eph.message_ts).toMatch(/^\d+\.\d{6}$/);
    const view = await client.views.open({
      trigger_id: 't',
      view: { type: 'modal', title: { type: 'plain_text', text: 'x' }, blocks: [] },
    });
    expect(view.view?.id).toMatch(/^V/);

    const post = fake.callsOf('chat.postMessage')[0];
    expect(post?.token).toBe('xoxb-test');
    expect(post?.args).toMatchObject({ channel: 'C1', text: 'one', blocks: [{ type: 'divider' }] });

    fake.queueError('chat.update', 'message_not_found');
    await expect(client.chat.update({ channel: 'C1', ts: a.ts!, text: 'x' })).rejects.toMatchObject({
      data: { error: 'message_not_found' },
    });
    await client.chat.update({ channel: 'C1', ts: a.ts!, text: 'x' });
    expect(fake.callsOf('chat.update').map((c) => c.error)).toEqual(['message_not_found', undefined]);

    await expect(client.apiCall('some.unknown')).resolves.toMatchObject({ ok: true });
    expect(fake.callsOf('some.unknown')).toHaveLength(1);
  });

  it('answers 429 with Retry-After, and the Web client retries', async () => {
    const client = new webApi.WebClient('xoxb-test', {
      slackApiUrl: fake.apiUrl,
      logLevel: LogLevel.ERROR,
      retryConfig: { retries: 1, minTimeout: 0, maxTimeout: 0 },
    });
    fake.queueRateLimit('chat.postMessage', 0);
    await client.chat.postMessage({ channel: 'C1', text: 'after limit' });
    expect(fake.callsOf('chat.postMessage').map((c) => c.error)).toEqual(['ratelimited', undefined]);
  });
});

describe('Bolt HTTP mode against the fakes', () => {
  it('handles a signed slash command and rejects bad or stale signatures', async () => {
    const { app, url } = await startHttpApp((a) =>
      a.command('/cases-access', async ({ ack, client, body }) => {
        await ack();
        await client.chat.postMessage({ channel: 'C1', text: body.text });
      }),
    );
    try {
      const body = slashCommandBody({
        text: 'hello world',
        userId: 'U1',
        responseUrl: fake.responseUrl('r1'),
      });
      const ok = await postSigned(url, body, SECRET);
      expect(ok.status).toBe(200);
      const post = await fake.waitForCall('chat.postMessage');
      expect(post.args).toMatchObject({ channel: 'C1', text: 'hello world' });
      expect(post.token).toBe('xoxb-test');
      expect(fake.callsOf('auth.test')).toHaveLength(1);

      expect((await postSigned(url, body, 'wrong-secret')).status).toBe(401);
      const tenMinutesAgo = Math.floor(Date.now() / 1000) - 600;
      expect((await postSigned(url, body, SECRET, { timestamp: tenMinutesAgo })).status).toBe(401);
      expect(fake.callsOf('chat.postMessage')).toHaveLength(1);
    } finally {
      await app.stop();
    }
  });

  it('round-trips a block action: respond() to response_url and chat.update', async () => {
    const { app, url } = await startHttpApp((a) =>
      a.action('approve', async ({ ack, body, respond, client }) => {
        await ack();
        if (body.type !== 'block_actions') return;
        const action = body.actions[0];
        const value = action?.type === 'button' ? action.value : undefined;
        await respond({ text: `approved ${value}`, replace_original: false });
        await client.chat.update({
          channel: body.channel!.id,
          ts: body.message!.ts,
          text: `done by ${body.user.id}`,
        });
      }),
    );
    try {
      const body = blockActionBody({
        userId: 'U2',
        actionId: 'approve',
        value: 'req-1',
        channelId: 'C1',
        messageTs: '1700000000.000100',
        responseUrl: fake.responseUrl('act-1'),
      });
      expect((await postSigned(url, body, SECRET)).status).toBe(200);
      const responded = await fake.waitForCall('response_url', (c) => c.responseUrlId === 'act-1');
      expect(responded.args).toEqual({ text: 'approved req-1', replace_original: false });
      const update = await fake.waitForCall('chat.update');
      expect(update.args).toMatchObject({ channel: 'C1', ts: '1700000000.000100', text: 'done by U2' });
    } finally {
      await app.stop();
    }
  });
  it('sends clicks shaped as Slack sends them: in a thread, on an ephemeral message, inside Grid', async () => {
    const bodies: unknown[] = [];
    const { app, url } = await startHttpApp((a) =>
      a.action('approve', async ({ ack, body }) => {
        await ack();
        bodies.push(body);
      }),
    );
    try {
      const click = { userId: 'U2', actionId: 'approve', value: 'r', channelId: 'C1', messageTs: '2.000002' };
      const grid = { id: 'E1', name: 'Org' };
      await postSigned(url, blockActionBody({ ...click, threadTs: '1.000001', grid }), SECRET);
      await postSigned(url, blockActionBody({ ...click, ephemeral: true }), SECRET);
      await waitFor(() => bodies.length === 2);
      expect(bodies[0]).toMatchObject({
        container: { type: 'message', message_ts: '2.000002', channel_id: 'C1', thread_ts: '1.000001' },
        message: { ts: '2.000002', thread_ts: '1.000001' },
        team: { id: 'T1', enterprise_id: 'E1' },
        enterprise: { id: 'E1', name: 'Org' },
        is_enterprise_install: false,
        user: { id: 'U2', team_id: 'T1' },
        api_app_id: 'A1',
      });
      expect(bodies[1]).toMatchObject({ container: { is_ephemeral: true }, enterprise: null });
      expect(bodies[1]).not.toHaveProperty('message');
    } finally {
      await app.stop();
    }
  });

  it('passes a view submission to app.view and returns the ack body as JSON', async () => {
    const { app, url } = await startHttpApp((a) =>
      a.view('request_modal', async ({ ack, view, body }) => {
        const role = view.state.values.role?.role_input?.value;
        await ack({
          response_action: 'errors',
          errors: { role: `${role} by ${body.user.id} (${view.private_metadata})` },
        });
      }),
    );
    try {
      const body = viewSubmissionBody({
        userId: 'U3',
        callbackId: 'request_modal',
        privateMetadata: '{"channel":"C1"}',
        values: { role: { role_input: { type: 'plain_text_input', value: 'arn:aws:iam::1:role/x' } } },
      });
      const res = await postSigned(url, body, SECRET);
      expect(res.status).toBe(200);
      expect(res.json).toEqual({
        response_action: 'errors',
        errors: { role: 'arn:aws:iam::1:role/x by U3 ({"channel":"C1"})' },
      });
    } finally {
      await app.stop();
    }
  });

  it('makes respond() throw when the response_url answers an error', async () => {
    let failure: unknown;
    const { app, url } = await startHttpApp((a) =>
      a.command('/cases-access', async ({ ack, respond }) => {
        await ack();
        try {
          await respond('too late');
        } catch (e) {
          failure = e;
        }
      }),
    );
    try {
      fake.queueError('response_url', 'expired_url');
      const body = slashCommandBody({ text: 'x', userId: 'U1', responseUrl: fake.responseUrl('old') });
      expect((await postSigned(url, body, SECRET)).status).toBe(200);
      await waitFor(() => failure);
      expect(fake.callsOf('response_url')[0]).toMatchObject({ responseUrlId: 'old', error: 'expired_url' });
    } finally {
      await app.stop();
    }
  });
});

describe('Bolt Socket Mode against the fakes', () => {
  it('connects, receives a slash command envelope, acks it and calls the Web API', async () => {
    // The App copies its clientOptions into installerOptions.clientOptions, which SocketModeReceiver
    // hands to SocketModeClient, so slackApiUrl alone routes apps.connections.open to the fake.
    const app = new App({
      token: 'xoxb-test',
      appToken: 'xapp-test',
      socketMode: true,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } },
    });
    app.command('/cases-access', async ({ ack, client, body }) => {
      await ack();
      await client.chat.postMessage({ channel: 'C1', text: `socket: ${body.text}` });
    });
    try {
      await app.start();
      await fake.socketConnected();
      const open = fake.callsOf('apps.connections.open')[0];
      expect(open?.token).toBe('xapp-test');

      const payload = Object.fromEntries(
        new URLSearchParams(
          slashCommandBody({ text: 'via socket', userId: 'U1', responseUrl: fake.responseUrl('s1') }),
        ),
      );
      const ack = await fake.sendSocketEnvelope('slash_commands', payload);
      expect(ack.envelope_id).toEqual(expect.any(String));
      const post = await fake.waitForCall('chat.postMessage');
      expect(post.args).toMatchObject({ channel: 'C1', text: 'socket: via socket' });
      expect(post.token).toBe('xoxb-test');
    } finally {
      await app.stop();
    }
  });
});

describe('waitFor', () => {
  it('polls until a value appears and times out clearly', async () => {
    let n = 0;
    await expect(waitFor(() => (++n >= 3 ? n : undefined), 1000, 5)).resolves.toBe(3);
    await expect(waitFor(() => undefined, 50, 5)).rejects.toThrow(/within 50 ms/);
  });
});
