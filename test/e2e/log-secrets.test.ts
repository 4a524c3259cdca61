import { ACTION } from '../../src/slack/blocks';
import {
  ACCOUNT,
  APPROVER,
  BOT_TOKEN,
  SIGNING_SECRET,
  requestIdFrom,
  startHarness,
  waitFor,
} from '../support/harness';
import type { Harness } from '../support/harness';

/** A full request → approve → apply flow at LOG_LEVEL=debug must never put a secret in the log. */

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ env: { LOG_LEVEL: 'debug' } });
  h.iam.addRole('connect-admins');
});
afterAll(async () => {
  await h.close();
});

it('logs at debug through a whole flow without the bot token, the signing secret or the AWS secret key', async () => {
  const awsSecret = h.env.AWS_SECRET_ACCESS_KEY;
  expect(awsSecret).toBeDefined();
  const secrets = { BOT_TOKEN, SIGNING_SECRET, AWS_SECRET_ACCESS_KEY: awsSecret! };
  for (const value of Object.values(secrets)) expect(value.length).toBeGreaterThanOrEqual(8);

  const { status, reply } = await h.command(
    `onboard arn:aws:iam::${ACCOUNT}:role/connect-admins migrating to Cases`,
  );
  expect(status).toBe(200);
  const requestId = requestIdFrom(reply);
  expect(await h.click(ACTION.approve, requestId, APPROVER)).toBe(200);
  await waitFor(
    () =>
      h.slack
        .callsOf('chat.update')
        .some((c) => JSON.stringify(c.args.blocks).includes('Applied and verified')),
    10_000,
  );
  expect(h.iam.callsOf('PutRolePolicy')).toHaveLength(1);
  // The SDK really did sign with the secret key (so it was in the process to leak).
  expect(h.iam.callsOf('PutRolePolicy')[0]!.accessKeyId).toBe(h.env.AWS_ACCESS_KEY_ID);
  // The Web API really was called with the bot token.
  expect(h.slack.callsOf('chat.postMessage')[0]!.token).toBe(BOT_TOKEN);

  const lines = [...h.logLines];
  expect(lines.length).toBeGreaterThan(0);
  const entries = lines.map((line) => JSON.parse(line) as { level: string; message: string });
  for (const e of entries) {
    expect(['debug', 'info', 'warn', 'error']).toContain(e.level);
    expect(typeof e.message).toBe('string');
  }
  expect(entries.filter((e) => e.level === 'debug').length).toBeGreaterThan(0);
  expect(entries.some((e) => e.message === 'cases-access started')).toBe(true);

  const log = lines.join('');
  for (const [name, value] of Object.entries(secrets)) {
    expect({ name, leaked: log.includes(value) }).toEqual({ name, leaked: false });
    // Nor a recognisable piece of it (e.g. a token cut by a formatter).
    expect({ name, leaked: log.includes(value.slice(0, 16)) }).toEqual({ name, leaked: false });
  }
  expect(log).not.toMatch(/xox[abposr]-[A-Za-z0-9]/);
});
