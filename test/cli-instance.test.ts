/** `policy --instance` takes an instance ID (region from --region or AWS_REGION) or an instance ARN, like the command. */
import { runCli } from '../src/cli';

const INSTANCE = '8a9b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
const run = async (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) }, env);
  return { code, out, err };
};
const resourceOf = (out: string, sid: string): unknown =>
  (JSON.parse(out) as { Statement: Array<{ Sid: string; Resource: unknown }> }).Statement.find(
    (s) => s.Sid === sid,
  )?.Resource;

describe('cases-access policy --instance', () => {
  it('takes the region from AWS_REGION when --region is absent', async () => {
    const { code, out, err } = await run(
      ['policy', 'view', '--account', '111122223333', '--instance', INSTANCE, '--document'],
      {
        AWS_REGION: 'eu-west-2',
      },
    );
    expect([code, err]).toEqual([0, '']);
    expect(resourceOf(out, 'ListIntegrationAssociations')).toBe(
      `arn:aws:connect:eu-west-2:111122223333:instance/${INSTANCE}`,
    );
  });

  it('--region wins over AWS_REGION', async () => {
    const { out } = await run(
      ['policy', 'view', '--instance', INSTANCE, '--region', 'ap-southeast-2', '--document'],
      {
        AWS_REGION: 'eu-west-2',
      },
    );
    expect(resourceOf(out, 'ListIntegrationAssociations')).toBe(
      `arn:aws:connect:ap-southeast-2:*:instance/${INSTANCE}`,
    );
  });

  it('takes an instance ARN: its region, account and partition', async () => {
    const arn = `arn:aws-us-gov:connect:us-gov-west-1:444455556666:instance/${INSTANCE}`;
    const { code, out, err } = await run(['policy', 'onboard', '--instance', arn, '--document']);
    expect([code, err]).toEqual([0, '']);
    expect(resourceOf(out, 'ListIntegrationAssociations')).toBe(arn);
    expect(resourceOf(out, 'AttachAnyPolicyToAmazonConnectRole')).toBe(
      'arn:aws-us-gov:iam::444455556666:role/aws-service-role/connect.amazonaws.com/AWSServiceRoleForAmazonConnect*',
    );
  });

  it.each([
    [['--instance', INSTANCE], {}, /needs --region <region> \(or AWS_REGION\)/],
    [['--instance', INSTANCE], { AWS_REGION: 'EU-WEST-2' }, /AWS_REGION "EU-WEST-2" is not an AWS region/],
    [
      ['--instance', `arn:aws:connect:eu-west-2:111122223333:instance/${INSTANCE}`, '--region', 'us-east-1'],
      {},
      /differs from the instance ARN's region eu-west-2/,
    ],
    [
      [
        '--instance',
        `arn:aws:connect:eu-west-2:111122223333:instance/${INSTANCE}`,
        '--account',
        '444455556666',
      ],
      {},
      /differs from the instance ARN's account 111122223333/,
    ],
    [
      ['--instance', 'arn:aws:connect:eu-west-2:111122223333:instance/nope'],
      {},
      /is not an Amazon Connect instance ID \(a UUID\) or instance ARN/,
    ],
  ])('%j with %j exits 2 with one line on stderr', async (args, env, message) => {
    const { code, out, err } = await run(['policy', 'view', ...args], env);
    expect([code, out]).toEqual([2, '']);
    expect(err).toMatch(message);
    expect(err.trim().split('\n')).toHaveLength(1);
  });
});
