/**
 * Proves the IAM/STS emulator speaks the AWS Query protocol the way the real SDK v3 clients expect,
 * so tests built on it exercise the same code paths as production.
 */
import {
  AttachRolePolicyCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetAccountSummaryCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  IAMServiceException,
  LimitExceededException,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
  PutRolePolicyCommand,
  UnmodifiableEntityException,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { startIamEmulator, type IamEmulator } from './support/iam-emulator';

const ACCOUNT = '111122223333';
const OTHER_ACCOUNT = '444455556666';
const STATIC = { accessKeyId: 'AKIATEST', secretAccessKey: 'x' };
const POLICY = JSON.stringify(
  {
    Version: '2012-10-17',
    Statement: [{ Sid: 'CasesGetDomain', Effect: 'Allow', Action: ['cases:GetDomain'], Resource: '*' }],
  },
  null,
  2,
);

let emulator: IamEmulator;
let iam: IAMClient;
let sts: STSClient;

function iamClient(
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = STATIC,
): IAMClient {
  return new IAMClient({ region: 'us-east-1', endpoint: emulator.url, credentials, maxAttempts: 1 });
}

/** The rejection of `promise`, typed for assertions. */
async function failure(promise: Promise<unknown>): Promise<IAMServiceException> {
  try {
    await promise;
  } catch (err) {
    return err as IAMServiceException;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  emulator = await startIamEmulator({ accountId: ACCOUNT });
  iam = iamClient();
  sts = new STSClient({ region: 'us-east-1', endpoint: emulator.url, credentials: STATIC, maxAttempts: 1 });
});

afterAll(async () => {
  iam.destroy();
  sts.destroy();
  await emulator.close();
});

beforeEach(() => emulator.reset());

test('GetCallerIdentity answers the configured account and caller', async () => {
  const out = await sts.send(new GetCallerIdentityCommand({}));
  expect(out.Account).toBe(ACCOUNT);
  expect(out.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/cases-access-bot/session`);
  expect(out.UserId).toMatch(/^AROA[A-Z2-7]{17}:session$/);
  expect(out.$metadata.requestId).toBe(emulator.calls[0]?.requestId);
  expect(emulator.calls[0]).toMatchObject({
    service: 'sts',
    action: 'GetCallerIdentity',
    accessKeyId: 'AKIATEST',
    status: 200,
  });
});

test('GetRole finds a role, and a missing one is NoSuchEntityException with the request ID', async () => {
  const arn = emulator.addRole('connect-admins', { path: '/team/' });
  expect(arn).toBe(`arn:aws:iam::${ACCOUNT}:role/team/connect-admins`);

  const found = await iam.send(new GetRoleCommand({ RoleName: 'connect-admins' }));
  expect(found.Role).toMatchObject({
    RoleName: 'connect-admins',
    Arn: arn,
    Path: '/team/',
    MaxSessionDuration: 3600,
  });
  expect(found.Role?.CreateDate).toBeInstanceOf(Date);
  expect(found.Role?.RoleId).toMatch(/^AROA/);
  expect(JSON.parse(decodeURIComponent(found.Role?.AssumeRolePolicyDocument ?? ''))).toHaveProperty(
    'Statement',
  );

  const err = await failure(iam.send(new GetRoleCommand({ RoleName: 'nope' })));
  expect(err).toBeInstanceOf(NoSuchEntityException);
  expect(err.name).toBe('NoSuchEntityException');
  expect(err.message).toBe('The role with name nope cannot be found.');
  expect(err.$metadata.httpStatusCode).toBe(404);
  expect(err.$metadata.requestId).toBe(emulator.callsOf('GetRole')[1]?.requestId);
  expect(err.$fault).toBe('client');
  expect(emulator.callsOf('GetRole').map((c) => c.status)).toEqual([200, 404]);
});

test('role names are validated like IAM does', async () => {
  const err = await failure(iam.send(new GetRoleCommand({ RoleName: 'bad name!' })));
  expect(err.name).toBe('ValidationError');
  expect(err.$metadata.httpStatusCode).toBe(400);
  expect(err.message).toContain("at 'roleName' failed to satisfy constraint");
});

test('PutRolePolicy then GetRolePolicy: the document comes back URL-encoded, as from real IAM', async () => {
  const arn = emulator.addRole('connect-admins');
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: 'connect-admins',
      PolicyName: 'cases-access',
      PolicyDocument: POLICY,
    }),
  );
  expect(emulator.role(arn)?.inline.get('cases-access')).toBe(POLICY);

  const out = await iam.send(
    new GetRolePolicyCommand({ RoleName: 'connect-admins', PolicyName: 'cases-access' }),
  );
  expect(out.RoleName).toBe('connect-admins');
  expect(out.PolicyName).toBe('cases-access');
  expect(out.PolicyDocument).not.toBe(POLICY);
  expect(out.PolicyDocument).toMatch(/^%7B%0A%20%20%22Version%22%3A/);
  expect(out.PolicyDocument).toContain('%2A'); // RFC 3986: even `*` is encoded
  expect(decodeURIComponent(out.PolicyDocument ?? '')).toBe(POLICY);

  const list = await iam.send(new ListRolePoliciesCommand({ RoleName: 'connect-admins' }));
  expect(list.PolicyNames).toEqual(['cases-access']);
  expect(list.IsTruncated).toBe(false);

  await iam.send(new DeleteRolePolicyCommand({ RoleName: 'connect-admins', PolicyName: 'cases-access' }));
  const empty = await iam.send(new ListRolePoliciesCommand({ RoleName: 'connect-admins' }));
  expect(empty.PolicyNames).toEqual([]);
  const gone = await failure(
    iam.send(new GetRolePolicyCommand({ RoleName: 'connect-admins', PolicyName: 'cases-access' })),
  );
  expect(gone).toBeInstanceOf(NoSuchEntityException);
});

test('ListRolePolicies paginates with Marker', async () => {
  emulator.addRole('r');
  for (const name of ['c', 'a', 'b']) {
    await iam.send(new PutRolePolicyCommand({ RoleName: 'r', PolicyName: name, PolicyDocument: POLICY }));
  }
  const first = await iam.send(new ListRolePoliciesCommand({ RoleName: 'r', MaxItems: 2 }));
  expect(first).toMatchObject({ PolicyNames: ['a', 'b'], IsTruncated: true });
  const second = await iam.send(
    new ListRolePoliciesCommand({ RoleName: 'r', MaxItems: 2, Marker: first.Marker }),
  );
  expect(second).toMatchObject({ PolicyNames: ['c'], IsTruncated: false });
});

test('malformed documents, oversize roles and service-linked roles are refused', async () => {
  const arn = emulator.addRole('connect-admins');
  const malformed = await failure(
    iam.send(
      new PutRolePolicyCommand({
        RoleName: 'connect-admins',
        PolicyName: 'p',
        PolicyDocument: '{"Version":',
      }),
    ),
  );
  expect(malformed).toBeInstanceOf(MalformedPolicyDocumentException);
  expect(malformed.$metadata.httpStatusCode).toBe(400);

  // Whitespace does not count: a 9,000-character document twice is over 10,240, once is not.
  const big = (sid: string): string =>
    JSON.stringify(
      {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: sid,
            Effect: 'Allow',
            Action: 'cases:GetDomain',
            Resource: `arn:aws:cases:::${'x'.repeat(9000)}`,
          },
        ],
      },
      null,
      8,
    );
  await iam.send(
    new PutRolePolicyCommand({ RoleName: 'connect-admins', PolicyName: 'one', PolicyDocument: big('A') }),
  );
  await iam.send(
    new PutRolePolicyCommand({ RoleName: 'connect-admins', PolicyName: 'one', PolicyDocument: big('B') }),
  ); // replaces
  const over = await failure(
    iam.send(
      new PutRolePolicyCommand({ RoleName: 'connect-admins', PolicyName: 'two', PolicyDocument: big('C') }),
    ),
  );
  expect(over).toBeInstanceOf(LimitExceededException);
  expect(over.name).toBe('LimitExceededException');
  expect(over.$metadata.httpStatusCode).toBe(409);
  expect(over.message).toBe('Maximum policy size of 10240 bytes exceeded for role connect-admins');
  expect([...(emulator.role(arn)?.inline.keys() ?? [])]).toEqual(['one']);

  emulator.addRole('AWSServiceRoleForAmazonConnect_abc', {
    path: '/aws-service-role/connect.amazonaws.com/',
  });
  const slr = await failure(
    iam.send(
      new PutRolePolicyCommand({
        RoleName: 'AWSServiceRoleForAmazonConnect_abc',
        PolicyName: 'p',
        PolicyDocument: POLICY,
      }),
    ),
  );
  expect(slr).toBeInstanceOf(UnmodifiableEntityException);
});

test('Attach, ListAttached, Detach managed policies, with the 10-per-role quota', async () => {
  const arn = emulator.addRole('connect-admins');
  const managed = 'arn:aws:iam::aws:policy/AmazonConnectReadOnlyAccess';
  await iam.send(new AttachRolePolicyCommand({ RoleName: 'connect-admins', PolicyArn: managed }));
  await iam.send(new AttachRolePolicyCommand({ RoleName: 'connect-admins', PolicyArn: managed })); // idempotent
  const listed = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'connect-admins' }));
  expect(listed.AttachedPolicies).toEqual([
    { PolicyArn: managed, PolicyName: 'AmazonConnectReadOnlyAccess' },
  ]);
  expect(emulator.role(arn)?.attached).toEqual([managed]);

  const unknown = await failure(
    iam.send(
      new AttachRolePolicyCommand({
        RoleName: 'connect-admins',
        PolicyArn: 'arn:aws:iam::aws:policy/NoSuchPolicy',
      }),
    ),
  );
  expect(unknown).toBeInstanceOf(NoSuchEntityException);

  await iam.send(new DetachRolePolicyCommand({ RoleName: 'connect-admins', PolicyArn: managed }));
  const none = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'connect-admins' }));
  expect(none.AttachedPolicies).toEqual([]);
  const notAttached = await failure(
    iam.send(new DetachRolePolicyCommand({ RoleName: 'connect-admins', PolicyArn: managed })),
  );
  expect(notAttached).toBeInstanceOf(NoSuchEntityException);

  // Fill the role up to the quota behind the bot's back, then one more attach is refused.
  emulator
    .role(arn)
    ?.attached.push(...Array.from({ length: 10 }, (_, i) => `arn:aws:iam::${ACCOUNT}:policy/p${i}`));
  const full = await failure(
    iam.send(new AttachRolePolicyCommand({ RoleName: 'connect-admins', PolicyArn: managed })),
  );
  expect(full).toBeInstanceOf(LimitExceededException);
});

test('GetAccountSummary reports the quotas the bot checks', async () => {
  emulator.addRole('a');
  const out = await iam.send(new GetAccountSummaryCommand({}));
  expect(out.SummaryMap).toMatchObject({
    AttachedPoliciesPerRoleQuota: 10,
    RolePolicySizeQuota: 10240,
    PolicySizeQuota: 6144,
    Roles: 1,
  });
});

test('a queued Throttling fault surfaces once, before any state change', async () => {
  const arn = emulator.addRole('connect-admins');
  emulator.queueFault('PutRolePolicy', { code: 'Throttling', message: 'Rate exceeded' });
  const err = await failure(
    iam.send(
      new PutRolePolicyCommand({ RoleName: 'connect-admins', PolicyName: 'p', PolicyDocument: POLICY }),
    ),
  );
  expect(err).toBeInstanceOf(IAMServiceException);
  expect(err.name).toBe('Throttling'); // not modelled by IAM: the SDK names the exception after the code
  expect(err.message).toBe('Rate exceeded');
  expect(err.$metadata.httpStatusCode).toBe(400);
  expect(err.$metadata.requestId).toBe(emulator.callsOf('PutRolePolicy')[0]?.requestId);
  expect(emulator.role(arn)?.inline.size).toBe(0);

  await iam.send(
    new PutRolePolicyCommand({ RoleName: 'connect-admins', PolicyName: 'p', PolicyDocument: POLICY }),
  );
  expect(emulator.role(arn)?.inline.size).toBe(1);

  emulator.queueFault('GetRole', { code: 'ServiceFailure', message: 'boom' });
  const failed = await failure(iam.send(new GetRoleCommand({ RoleName: 'connect-admins' })));
  expect(failed.name).toBe('ServiceFailureException');
  expect(failed.$fault).toBe('server');
  expect(failed.$metadata.httpStatusCode).toBe(500);

  emulator.queueFault('GetRole', { code: 'AccessDenied', message: 'not allowed' });
  const denied = await failure(iam.send(new GetRoleCommand({ RoleName: 'connect-admins' })));
  expect(denied.name).toBe('AccessDenied');
  expect(denied.$metadata.httpStatusCode).toBe(403);
});

test('AssumeRole issues credentials whose calls act in the assumed account', async () => {
  const targetArn = emulator.addRole('cases-access-target', { account: OTHER_ACCOUNT });
  const customerRole = emulator.addRole('connect-admins', { account: OTHER_ACCOUNT });

  const out = await sts.send(
    new AssumeRoleCommand({
      RoleArn: targetArn,
      RoleSessionName: 'cases-access-R1',
      SourceIdentity: 'U123',
      ExternalId: 'ext-1',
    }),
  );
  const creds = out.Credentials;
  expect(creds?.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
  expect(creds?.Expiration).toBeInstanceOf(Date);
  expect(out.AssumedRoleUser?.Arn).toBe(
    `arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/cases-access-target/cases-access-R1`,
  );
  expect(out.SourceIdentity).toBe('U123');
  expect(emulator.callsOf('AssumeRole')[0]?.params).toMatchObject({
    RoleArn: targetArn,
    RoleSessionName: 'cases-access-R1',
    SourceIdentity: 'U123',
    ExternalId: 'ext-1',
  });
  const accessKeyId = creds?.AccessKeyId ?? '';
  expect(emulator.sessionOf(accessKeyId)).toMatchObject({
    account: OTHER_ACCOUNT,
    roleArn: targetArn,
    externalId: 'ext-1',
  });

  const assumed = iamClient({
    accessKeyId,
    secretAccessKey: creds?.SecretAccessKey ?? '',
    sessionToken: creds?.SessionToken ?? '',
  });
  const assumedSts = new STSClient({
    region: 'us-east-1',
    endpoint: emulator.url,
    maxAttempts: 1,
    credentials: {
      accessKeyId,
      secretAccessKey: creds?.SecretAccessKey ?? '',
      sessionToken: creds?.SessionToken ?? '',
    },
  });
  try {
    const role = await assumed.send(new GetRoleCommand({ RoleName: 'connect-admins' }));
    expect(role.Role?.Arn).toBe(customerRole);
    await assumed.send(
      new PutRolePolicyCommand({ RoleName: 'connect-admins', PolicyName: 'p', PolicyDocument: POLICY }),
    );
    expect(emulator.role(customerRole)?.inline.has('p')).toBe(true);
    expect(emulator.callsOf('PutRolePolicy')[0]?.accessKeyId).toBe(accessKeyId);
    const who = await assumedSts.send(new GetCallerIdentityCommand({}));
    expect(who.Account).toBe(OTHER_ACCOUNT);

    // The static credentials act in the default account, where that role does not exist.
    expect(await failure(iam.send(new GetRoleCommand({ RoleName: 'connect-admins' })))).toBeInstanceOf(
      NoSuchEntityException,
    );
  } finally {
    assumed.destroy();
    assumedSts.destroy();
  }

  // The key without its session token is refused, as by AWS.
  const tokenless = iamClient({ accessKeyId, secretAccessKey: 'x' });
  try {
    const err = await failure(tokenless.send(new GetRoleCommand({ RoleName: 'connect-admins' })));
    expect(err.name).toBe('InvalidClientTokenId');
    expect(err.$metadata.httpStatusCode).toBe(403);
  } finally {
    tokenless.destroy();
  }

  // A role that does not exist cannot be assumed: STS answers AccessDenied.
  const denied = await failure(
    sts.send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${OTHER_ACCOUNT}:role/missing`, RoleSessionName: 's1' }),
    ),
  );
  expect(denied.name).toBe('AccessDenied');
  expect(denied.$metadata.httpStatusCode).toBe(403);
});

test('hold delays the state change until release', async () => {
  const arn = emulator.addRole('connect-admins');
  const held = emulator.hold('PutRolePolicy');
  const pending = iam.send(
    new PutRolePolicyCommand({ RoleName: 'connect-admins', PolicyName: 'p', PolicyDocument: POLICY }),
  );
  await held.reached;
  expect(emulator.callsOf('PutRolePolicy')[0]?.status).toBe(0);
  expect(emulator.role(arn)?.inline.size).toBe(0);
  held.release();
  await pending;
  expect(emulator.role(arn)?.inline.get('p')).toBe(POLICY);
  expect(emulator.callsOf('PutRolePolicy')[0]?.status).toBe(200);
  // The next call is not held.
  await iam.send(
    new PutRolePolicyCommand({ RoleName: 'connect-admins', PolicyName: 'q', PolicyDocument: POLICY }),
  );
});

test('latency is added per call and counted in totalHandlingMs', async () => {
  emulator.setLatency(30);
  await sts.send(new GetCallerIdentityCommand({}));
  expect(emulator.totalHandlingMs).toBeGreaterThanOrEqual(25);
});

test('the SDK honours AWS_ENDPOINT_URL_IAM and AWS_ENDPOINT_URL_STS', async () => {
  const keys = [
    'AWS_ENDPOINT_URL_IAM',
    'AWS_ENDPOINT_URL_STS',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
  ];
  const saved = Object.fromEntries(keys.map((k) => [k, process.env[k]]));
  process.env.AWS_ENDPOINT_URL_IAM = emulator.url;
  process.env.AWS_ENDPOINT_URL_STS = emulator.url;
  process.env.AWS_ACCESS_KEY_ID = 'AKIAENV';
  process.env.AWS_SECRET_ACCESS_KEY = 'x';
  delete process.env.AWS_SESSION_TOKEN;
  const envIam = new IAMClient({ region: 'us-east-1', maxAttempts: 1 });
  const envSts = new STSClient({ region: 'us-east-1', maxAttempts: 1 });
  try {
    emulator.addRole('connect-admins');
    await envIam.send(new GetRoleCommand({ RoleName: 'connect-admins' }));
    await envSts.send(new GetCallerIdentityCommand({}));
    expect(emulator.calls.map((c) => [c.service, c.action, c.accessKeyId])).toEqual([
      ['iam', 'GetRole', 'AKIAENV'],
      ['sts', 'GetCallerIdentity', 'AKIAENV'],
    ]);
  } finally {
    envIam.destroy();
    envSts.destroy();
    for (const k of keys) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
});

test('a held call still changes state after its client gave up (crash between send and answer)', async () => {
  const arn = emulator.addRole('connect-admins');
  const held = emulator.hold('AttachRolePolicy');
  const abort = new AbortController();
  const pending = iam.send(
    new AttachRolePolicyCommand({
      RoleName: 'connect-admins',
      PolicyArn: 'arn:aws:iam::aws:policy/AmazonConnect_FullAccess',
    }),
    { abortSignal: abort.signal },
  );
  await held.reached;
  abort.abort();
  await expect(pending).rejects.toThrow();
  held.release();
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(emulator.role(arn)?.attached).toEqual(['arn:aws:iam::aws:policy/AmazonConnect_FullAccess']);
  expect(emulator.callsOf('AttachRolePolicy')[0]?.status).toBe(200);
});

test('with default retries the SDK repeats LimitExceeded as if it were throttling', async () => {
  emulator.addRole('connect-admins');
  emulator.queueFault('PutRolePolicy', { code: 'LimitExceeded', message: 'too big' }, 2);
  const retrying = new IAMClient({ region: 'us-east-1', endpoint: emulator.url, credentials: STATIC });
  try {
    await retrying.send(
      new PutRolePolicyCommand({ RoleName: 'connect-admins', PolicyName: 'p', PolicyDocument: POLICY }),
    );
  } finally {
    retrying.destroy();
  }
  expect(emulator.callsOf('PutRolePolicy').map((c) => c.status)).toEqual([409, 409, 200]);
});
