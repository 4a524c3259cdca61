import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBot } from '../src/index';
import type { RunningBot } from '../src/index';
import { startFakeSlack } from '../test/support/fake-slack';
import type { FakeSlack } from '../test/support/fake-slack';
import { startIamEmulator } from '../test/support/iam-emulator';
import type { IamEmulator } from '../test/support/iam-emulator';
import { DEMO_AWS_ACCESS_KEY_ID, DEMO_AWS_SECRET_ACCESS_KEY } from './safety';

/**
 * The demo's world: the real bot (startBot, as `npm start` runs it) in HTTP mode, the project's own fake Slack Web
 * API and IAM/STS emulator (the ones the tests use), SQLite in a temporary folder, a few people and roles.
 */

export const DEMO_ACCOUNT = '111122223333';
export const DEMO_CHANNEL = { id: 'CDEMOAPPROVALS', name: 'cases-approvals' } as const;

export interface Person {
  id: string;
  name: string;
  role: string;
}

export const PEOPLE: readonly Person[] = [
  { id: 'UDEMORIYA', name: 'Riya', role: 'requester' },
  { id: 'UDEMOANA', name: 'Ana', role: 'approver' },
  { id: 'UDEMOBEN', name: 'Ben', role: 'approver' },
  { id: 'UDEMOSAM', name: 'Sam', role: 'not an approver' },
];
const APPROVERS = PEOPLE.filter((p) => p.role === 'approver').map((p) => p.id);

export const ALLOWED_ROLES = [
  `arn:aws:iam::${DEMO_ACCOUNT}:role/connect-*`,
  `arn:aws:iam::${DEMO_ACCOUNT}:role/ops/*`,
];

export interface DemoWorld {
  slack: FakeSlack;
  iam: IamEmulator;
  bot: RunningBot;
  /** The bot's `POST /slack/events`. */
  eventsUrl: string;
  /** Made up for this run: only the demo's own requests carry a valid signature. */
  signingSecret: string;
  /** The roles of the emulated account, in the order shown. */
  roleArns: string[];
  close(): Promise<void>;
}

export async function startWorld(opts: { logLine?: (line: string) => void } = {}): Promise<DemoWorld> {
  const slack = await startFakeSlack();
  const iam = await startIamEmulator({ accountId: DEMO_ACCOUNT });
  for (const p of PEOPLE) slack.setUser(p.id, { real_name: p.name, profile: { display_name: p.name } });
  const roleArns = [
    iam.addRole('connect-admins'),
    iam.addRole('connect-agents'),
    iam.addRole('cases-support', { path: '/ops/' }),
    iam.addRole('billing-admins'),
  ];
  // A policy the role had before the bot: a revocation must leave it there.
  iam.role(roleArns[1]!)!.attached.push('arn:aws:iam::aws:policy/AmazonConnectReadOnlyAccess');

  const dir = mkdtempSync(join(tmpdir(), 'cases-access-demo-'));
  // The SDK reads these from process.env itself. The shared config files point into the empty temporary folder, so
  // no profile on this machine can add credentials or endpoints.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_IAM: iam.url,
    AWS_ENDPOINT_URL_STS: iam.url,
    AWS_ACCESS_KEY_ID: DEMO_AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: DEMO_AWS_SECRET_ACCESS_KEY,
    AWS_REGION: 'us-east-1',
    AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  const signingSecret = randomBytes(16).toString('hex');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SLACK_BOT_TOKEN: `xoxb-demo-${randomBytes(8).toString('hex')}`,
    SLACK_APP_TOKEN: '',
    SLACK_SIGNING_SECRET: signingSecret,
    SLACK_API_URL: slack.apiUrl,
    PORT: '0',
    APPROVAL_CHANNEL_ID: DEMO_CHANNEL.id,
    APPROVERS: APPROVERS.join(','),
    ALLOWED_ROLES: ALLOWED_ROLES.join(','),
    DATABASE_URL: `sqlite:${join(dir, 'cases-access.db')}`,
    LOG_LEVEL: 'info',
  };
  let bot: RunningBot;
  try {
    bot = await startBot(env, { writeLog: opts.logLine ?? (() => {}), schedulerIntervalMs: 5_000 });
  } catch (error) {
    await Promise.all([slack.close(), iam.close()]);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    slack,
    iam,
    bot,
    eventsUrl: `http://127.0.0.1:${bot.port}/slack/events`,
    signingSecret,
    roleArns,
    async close() {
      await bot.stop();
      await Promise.all([slack.close(), iam.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
