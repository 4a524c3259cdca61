/**
 * Proves the IAM/STS emulator speaks the AWS Query protocol the way the real SDK v3 clients expect,
 * so tests built on it exercise the same code paths as production.
 */
import {
  AttachRolePolicyCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetAccountSummaryCommand,
  GetPolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  IAMServiceException,
  LimitExceededException,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
  PolicyNotAttachableException,
  PutRolePolicyCommand,
  UnmodifiableEntityException,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { KNOWN_MANAGED_POLICIES, startIamEmulator, type IamEmulator } from './support/iam-emulator';

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

/** An IAM client that names `fence` in the x-cases-access-fence header of every call, as the bot does. */
function fencedIamClient(
  fence: string,
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
): IAMClient {
  const client = iamClient(credentials);
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers['x-cases-access-fence'] = fence;
      return next(args);
    },
    { step: 'build', name: 'testFence' },
  );
  return client;
}

const put = (client: IAMClient, policyName: string, document = POLICY) =>
  client.send(
    new PutRolePolicyCommand({
      RoleName: 'connect-admins',
      PolicyName: policyName,
      PolicyDocument: document,
    }),
  );

/** A valid policy document that differs by `sid`, to tell writes apart. */
const policyWithSid = (sid: string): string =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: sid, Effect: 'Allow', Action: 'cases:GetDomain', Resource: '*' }],
  });

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

describe('GetPolicy and managed policies', () => {
  const FULL = 'arn:aws:iam::aws:policy/AmazonConnect_FullAccess';

  test('GetPolicy answers the real response shape, with AttachmentCount for the caller’s account', async () => {
    expect(KNOWN_MANAGED_POLICIES).toContain(FULL);
    emulator.addRole('connect-admins');
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'connect-admins', PolicyArn: FULL }));
    const elsewhere = emulator.addRole('elsewhere', { account: OTHER_ACCOUNT });
    emulator.role(elsewhere)?.attached.push(FULL); // another account's attachment: not counted

    const out = await iam.send(new GetPolicyCommand({ PolicyArn: FULL }));
    expect(out.Policy).toMatchObject({
      PolicyName: 'AmazonConnect_FullAccess',
      Arn: FULL,
      Path: '/',
      DefaultVersionId: 'v1',
      AttachmentCount: 1,
      PermissionsBoundaryUsageCount: 0,
      IsAttachable: true,
    });
    expect(out.Policy?.PolicyId).toMatch(/^ANPA[A-Z2-7]{17}$/);
    expect(out.Policy?.CreateDate).toBeInstanceOf(Date);
    expect(out.Policy?.UpdateDate).toBeInstanceOf(Date);
    expect(out.$metadata.requestId).toBe(emulator.callsOf('GetPolicy')[0]?.requestId);
    // The ID is stable across calls, as a real policy's is.
    const again = await iam.send(new GetPolicyCommand({ PolicyArn: FULL }));
    expect(again.Policy?.PolicyId).toBe(out.Policy?.PolicyId);

    // The wire format, element by element, as IAM writes it.
    const raw = await fetch(emulator.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'AWS4-HMAC-SHA256 Credential=AKIATEST/20260101/us-east-1/iam/aws4_request',
      },
      body: new URLSearchParams({ Action: 'GetPolicy', Version: '2010-05-08', PolicyArn: FULL }).toString(),
    });
    expect(raw.status).toBe(200);
    const xml = await raw.text();
    expect(xml).toMatch(
      /^<GetPolicyResponse xmlns="https:\/\/iam\.amazonaws\.com\/doc\/2010-05-08\/"><GetPolicyResult><Policy>.*<\/Policy><\/GetPolicyResult><ResponseMetadata><RequestId>[\w-]+<\/RequestId><\/ResponseMetadata><\/GetPolicyResponse>$/,
    );
    for (const field of [
      'PolicyName',
      'PolicyId',
      'Arn',
      'Path',
      'DefaultVersionId',
      'AttachmentCount',
      'PermissionsBoundaryUsageCount',
      'IsAttachable',
      'CreateDate',
      'UpdateDate',
    ]) {
      expect(xml).toMatch(new RegExp(`<Policy>.*<${field}>[^<]+</${field}>.*</Policy>`));
    }
  });

  test('an unknown policy is NoSuchEntity (404), and PolicyArn is validated like the other actions', async () => {
    const missing = 'arn:aws:iam::aws:policy/NoSuchPolicy';
    const err = await failure(iam.send(new GetPolicyCommand({ PolicyArn: missing })));
    expect(err).toBeInstanceOf(NoSuchEntityException);
    expect(err.$metadata.httpStatusCode).toBe(404);
    expect(err.message).toBe(`Policy ${missing} does not exist or is not attachable.`);

    const short = await failure(iam.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::aws:x' })));
    expect(short.name).toBe('ValidationError');
    expect(short.message).toContain("at 'policyArn' failed to satisfy constraint");

    const invalid = await failure(
      iam.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::aws:role/NotAPolicyAtAll' })),
    );
    expect(invalid.name).toBe('InvalidInputException');
    expect(invalid.$metadata.httpStatusCode).toBe(400);
    expect(emulator.callsOf('GetPolicy').map((c) => c.status)).toEqual([404, 400, 400]);
  });

  test('a non-attachable policy: IsAttachable false, and AttachRolePolicy is PolicyNotAttachable (400)', async () => {
    const arn = emulator.addRole('connect-admins');
    emulator.setPolicyAttachable(FULL, false);
    const got = await iam.send(new GetPolicyCommand({ PolicyArn: FULL }));
    expect(got.Policy?.IsAttachable).toBe(false);

    const refused = await failure(
      iam.send(new AttachRolePolicyCommand({ RoleName: 'connect-admins', PolicyArn: FULL })),
    );
    expect(refused).toBeInstanceOf(PolicyNotAttachableException);
    expect(refused.$metadata.httpStatusCode).toBe(400);
    expect(refused.message).toBe('Cannot attach a Service Role Policy to a Customer Role.');
    expect(emulator.role(arn)?.attached).toEqual([]);

    emulator.setPolicyAttachable(FULL, true);
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'connect-admins', PolicyArn: FULL }));
    expect(emulator.role(arn)?.attached).toEqual([FULL]);

    expect(() => emulator.setPolicyAttachable('arn:aws:iam::aws:policy/NoSuchPolicy', false)).toThrow();
  });

  test('removeManagedPolicy makes GetPolicy and AttachRolePolicy answer NoSuchEntity; reset restores the policies', async () => {
    const arn = emulator.addRole('connect-admins');
    emulator.setPolicyAttachable(FULL, false);
    emulator.removeManagedPolicy(FULL);
    expect(await failure(iam.send(new GetPolicyCommand({ PolicyArn: FULL })))).toBeInstanceOf(
      NoSuchEntityException,
    );
    const attach = await failure(
      iam.send(new AttachRolePolicyCommand({ RoleName: 'connect-admins', PolicyArn: FULL })),
    );
    expect(attach).toBeInstanceOf(NoSuchEntityException);
    expect(attach.message).toBe(`Policy ${FULL} does not exist or is not attachable.`);
    expect(emulator.role(arn)?.attached).toEqual([]);

    emulator.reset();
    const back = await iam.send(new GetPolicyCommand({ PolicyArn: FULL }));
    expect(back.Policy?.IsAttachable).toBe(true);
  });
});

describe('which fence and which credentials each call came under', () => {
  test('the x-cases-access-fence header is recorded when a middleware sends it, and absent otherwise', async () => {
    emulator.addRole('connect-admins');
    const fenced = fencedIamClient('CA-0123456789/3');
    try {
      await put(fenced, 'fenced');
      await fenced.send(new GetRoleCommand({ RoleName: 'connect-admins' }));
      await put(iam, 'unfenced');
    } finally {
      fenced.destroy();
    }
    expect(emulator.calls.map((c) => [c.action, c.params.PolicyName, c.fence])).toEqual([
      ['PutRolePolicy', 'fenced', 'CA-0123456789/3'],
      ['GetRole', undefined, 'CA-0123456789/3'],
      ['PutRolePolicy', 'unfenced', undefined],
    ]);
  });

  test('a call under AssumeRole credentials records the STS session; static keys record none', async () => {
    const target = emulator.addRole('cases-access-target', { account: OTHER_ACCOUNT });
    emulator.addRole('connect-admins', { account: OTHER_ACCOUNT });
    const session = async (name: string) => {
      const out = await sts.send(new AssumeRoleCommand({ RoleArn: target, RoleSessionName: name }));
      return {
        accessKeyId: out.Credentials?.AccessKeyId ?? '',
        secretAccessKey: out.Credentials?.SecretAccessKey ?? '',
        sessionToken: out.Credentials?.SessionToken ?? '',
      };
    };
    const first = fencedIamClient('CA-0123456789/1', await session('cases-access-CA-0123456789-1'));
    const second = fencedIamClient('CA-0123456789/2', await session('cases-access-CA-0123456789-2'));
    try {
      await put(first, 'p', policyWithSid('One'));
      await put(second, 'p', policyWithSid('Two'));
    } finally {
      first.destroy();
      second.destroy();
    }
    expect(await failure(put(iam, 'p'))).toBeInstanceOf(NoSuchEntityException); // static keys: default account

    expect(
      emulator.callsOf('PutRolePolicy').map((c) => [c.fence, c.sessionName, c.accessKeyId?.slice(0, 4)]),
    ).toEqual([
      ['CA-0123456789/1', 'cases-access-CA-0123456789-1', 'ASIA'],
      ['CA-0123456789/2', 'cases-access-CA-0123456789-2', 'ASIA'],
      [undefined, undefined, 'AKIA'],
    ]);
    const [one, two] = emulator.callsOf('PutRolePolicy');
    expect(emulator.sessionOf(one?.accessKeyId ?? '')?.sessionName).toBe(one?.sessionName);
    expect(emulator.sessionOf(two?.accessKeyId ?? '')?.sessionName).toBe(two?.sessionName);
    expect(emulator.callsOf('AssumeRole').every((c) => c.sessionName === undefined)).toBe(true);
  });
});

describe('holds', () => {
  test('a held call released after several un-held calls of the same action lands last', async () => {
    const arn = emulator.addRole('connect-admins');
    expect(emulator.heldCount()).toBe(0);
    const held = emulator.hold('PutRolePolicy');
    const pending = put(iam, 'p', policyWithSid('Held'));
    const heldCall = await held.reached;
    expect(heldCall.params.PolicyDocument).toBe(policyWithSid('Held'));
    expect(emulator.heldCount()).toBe(1);

    for (const sid of ['Later1', 'Later2', 'Later3']) await put(iam, 'p', policyWithSid(sid));
    expect(emulator.role(arn)?.inline.get('p')).toBe(policyWithSid('Later3'));
    expect(emulator.callsOf('PutRolePolicy').map((c) => c.status)).toEqual([0, 200, 200, 200]);

    // Much later, as far as this test goes: the held call is still waiting, with no state change.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(heldCall.status).toBe(0);
    expect(emulator.heldCount()).toBe(1);
    expect(emulator.role(arn)?.inline.get('p')).toBe(policyWithSid('Later3'));

    held.release();
    expect(emulator.heldCount()).toBe(0);
    const out = await pending;
    expect(out.$metadata.requestId).toBe(heldCall.requestId);
    expect(heldCall.status).toBe(200);
    expect(emulator.role(arn)?.inline.get('p')).toBe(policyWithSid('Held')); // the stale write landed last
  });

  test('holdNext holds only the call its predicate picks; the others of that action go through', async () => {
    const arn = emulator.addRole('connect-admins');
    const held = emulator.holdNext('PutRolePolicy', (params) => params.PolicyName === 'second');
    await put(iam, 'first');
    const pending = put(iam, 'second');
    const heldCall = await held.reached;
    expect(heldCall.params.PolicyName).toBe('second');
    await put(iam, 'third');
    expect([...(emulator.role(arn)?.inline.keys() ?? [])]).toEqual(['first', 'third']);
    expect(emulator.heldCount()).toBe(1);
    held.release();
    await pending;
    expect([...(emulator.role(arn)?.inline.keys() ?? [])]).toEqual(['first', 'third', 'second']);
  });

  test('holdNext can pick a call by its fence: the old owner’s write lands after the new owner’s', async () => {
    const arn = emulator.addRole('connect-admins');
    const held = emulator.holdNext('PutRolePolicy', (_params, call) => call.fence === 'CA-0123456789/1');
    const oldOwner = fencedIamClient('CA-0123456789/1');
    const newOwner = fencedIamClient('CA-0123456789/2');
    try {
      await put(newOwner, 'p', policyWithSid('NewFirst')); // not picked: goes through
      const stale = put(oldOwner, 'p', policyWithSid('Old'));
      expect((await held.reached).fence).toBe('CA-0123456789/1');
      await put(newOwner, 'p', policyWithSid('New'));
      expect(emulator.role(arn)?.inline.get('p')).toBe(policyWithSid('New'));
      held.release();
      await stale;
    } finally {
      oldOwner.destroy();
      newOwner.destroy();
    }
    expect(emulator.role(arn)?.inline.get('p')).toBe(policyWithSid('Old'));
    expect(emulator.callsOf('PutRolePolicy').map((c) => [c.fence, c.status])).toEqual([
      ['CA-0123456789/2', 200],
      ['CA-0123456789/1', 200],
      ['CA-0123456789/2', 200],
    ]);
  });

  test('a held call takes the fault queued before it arrived; the call after it is not faulted', async () => {
    const arn = emulator.addRole('connect-admins');
    emulator.queueFault('PutRolePolicy', { code: 'Throttling', message: 'Rate exceeded' });
    const held = emulator.hold('PutRolePolicy');
    const pending = failure(put(iam, 'held'));
    await held.reached;
    await put(iam, 'next');
    held.release();
    expect((await pending).name).toBe('Throttling');
    expect([...(emulator.role(arn)?.inline.keys() ?? [])]).toEqual(['next']);
  });

  test('reset releases held calls', async () => {
    emulator.addRole('connect-admins');
    const held = emulator.hold('PutRolePolicy');
    const pending = failure(put(iam, 'p'));
    await held.reached;
    expect(emulator.heldCount()).toBe(1);
    emulator.reset(); // releases the call, which then finds the role gone
    expect(emulator.heldCount()).toBe(0);
    expect(await pending).toBeInstanceOf(NoSuchEntityException);
  });
});

describe('eventual consistency: setReadLag and setNeverConsistent', () => {
  const ROLE_NAME = 'connect-admins';
  const FULL_ACCESS = 'arn:aws:iam::aws:policy/AmazonConnect_FullAccess';

  /** The document GetRolePolicy answers (decoded, as the bot does), or undefined for NoSuchEntity. */
  async function readPolicy(name = 'p'): Promise<string | undefined> {
    try {
      const out = await iam.send(new GetRolePolicyCommand({ RoleName: ROLE_NAME, PolicyName: name }));
      return decodeURIComponent(out.PolicyDocument ?? '');
    } catch (err) {
      if (err instanceof NoSuchEntityException) return undefined;
      throw err;
    }
  }
  const listNames = async (): Promise<string[]> =>
    (await iam.send(new ListRolePoliciesCommand({ RoleName: ROLE_NAME }))).PolicyNames ?? [];
  const listAttached = async (): Promise<string[]> =>
    (
      (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: ROLE_NAME }))).AttachedPolicies ?? []
    ).map((p) => p.PolicyArn ?? '');
  const staleFlags = (): Array<[string, boolean]> =>
    emulator.calls
      .filter((c) => c.action !== 'PutRolePolicy' && c.action !== 'DeleteRolePolicy')
      .map((c) => [c.action, c.stale === true]);

  test('a put is invisible to the next N reads of the role (any of its reads, NoSuchEntity included), then seen', async () => {
    const arn = emulator.addRole(ROLE_NAME);
    emulator.setReadLag({ reads: 3 });
    await put(iam, 'p', policyWithSid('New'));
    expect(emulator.role(arn)?.inline.get('p')).toBe(policyWithSid('New')); // the true state has it at once
    expect(await readPolicy()).toBeUndefined();
    expect(await listNames()).toEqual([]);
    expect(await readPolicy()).toBeUndefined();
    expect(await readPolicy()).toBe(policyWithSid('New'));
    expect(await listNames()).toEqual(['p']);
    expect(staleFlags()).toEqual([
      ['GetRolePolicy', true],
      ['ListRolePolicies', true],
      ['GetRolePolicy', true],
      ['GetRolePolicy', false],
      ['ListRolePolicies', false],
    ]);
  });

  test('a replaced document: lagging reads answer the previous document, not an absence', async () => {
    emulator.addRole(ROLE_NAME);
    await put(iam, 'p', policyWithSid('Old')); // before any lag: visible at once
    emulator.setReadLag({ reads: 2 });
    await put(iam, 'p', policyWithSid('New'));
    expect(await readPolicy()).toBe(policyWithSid('Old'));
    expect(await readPolicy()).toBe(policyWithSid('Old'));
    expect(await readPolicy()).toBe(policyWithSid('New'));
  });

  test('writes in a row become visible one after the other, each after its own lag', async () => {
    emulator.addRole(ROLE_NAME);
    emulator.setReadLag({ reads: 2 });
    await put(iam, 'p', policyWithSid('First'));
    expect(await readPolicy()).toBeUndefined(); // First: 1 read left
    await put(iam, 'p', policyWithSid('Second'));
    expect(await readPolicy()).toBeUndefined(); // First: 0 left, Second: 1 left
    expect(await readPolicy()).toBe(policyWithSid('First')); // First visible, Second: 0 left
    expect(await readPolicy()).toBe(policyWithSid('Second'));
  });

  test('the ms variant: every read in the window is stale, however many; after it the new document', async () => {
    emulator.addRole(ROLE_NAME);
    emulator.setReadLag({ ms: 600 });
    // The window opens while the put is handled: a read back before `deadline` was inside it, one sent after
    // `visible` is past it.
    const deadline = performance.now() + 600;
    await put(iam, 'p', policyWithSid('New'));
    const visible = performance.now() + 600;
    const seen: Array<{ document: string | undefined; inWindow: boolean }> = [];
    for (let i = 0; i < 5; i++) {
      const document = await readPolicy();
      seen.push({ document, inWindow: performance.now() < deadline });
    }
    expect(seen[0]?.inWindow).toBe(true); // local round trips take a few ms; the count alone does not end the lag
    expect(seen.filter((s) => s.inWindow).map((s) => s.document)).toEqual(
      seen.filter((s) => s.inWindow).map(() => undefined),
    );
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, visible - performance.now()) + 20));
    expect(await readPolicy()).toBe(policyWithSid('New'));
    expect(emulator.callsOf('GetRolePolicy').at(-1)?.stale).toBeUndefined();
  });

  test('with reads and ms both set, a write stays invisible until both have passed', async () => {
    emulator.addRole(ROLE_NAME);
    emulator.setReadLag({ reads: 1, ms: 800 });
    await put(iam, 'p', policyWithSid('New'));
    const visible = performance.now() + 800;
    expect(await readPolicy()).toBeUndefined();
    expect(await readPolicy()).toBeUndefined(); // the read is spent, the time is not
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, visible - performance.now()) + 20));
    expect(await readPolicy()).toBe(policyWithSid('New'));
  });

  test('a delete lags: reads still answer the document, while the true state and a second delete know it is gone', async () => {
    const arn = emulator.addRole(ROLE_NAME);
    await put(iam, 'p', policyWithSid('Doc'));
    emulator.setReadLag({ reads: 2 });
    await iam.send(new DeleteRolePolicyCommand({ RoleName: ROLE_NAME, PolicyName: 'p' }));
    expect(emulator.role(arn)?.inline.has('p')).toBe(false);
    expect(await readPolicy()).toBe(policyWithSid('Doc'));
    // Writes validate against the true state, as in IAM: the policy is gone though a read just showed it.
    const again = await failure(
      iam.send(new DeleteRolePolicyCommand({ RoleName: ROLE_NAME, PolicyName: 'p' })),
    );
    expect(again).toBeInstanceOf(NoSuchEntityException);
    expect(await listNames()).toEqual(['p']);
    expect(await readPolicy()).toBeUndefined();
    expect(await listNames()).toEqual([]);
  });

  test('a delete of a policy whose put still lags succeeds: writes see the true state', async () => {
    const arn = emulator.addRole(ROLE_NAME);
    emulator.setReadLag({ reads: 5 });
    await put(iam, 'p', policyWithSid('Doc'));
    expect(await readPolicy()).toBeUndefined();
    await iam.send(new DeleteRolePolicyCommand({ RoleName: ROLE_NAME, PolicyName: 'p' }));
    expect(emulator.role(arn)?.inline.size).toBe(0);
  });

  test('attach and detach lag too, for ListAttachedRolePolicies', async () => {
    const arn = emulator.addRole(ROLE_NAME);
    emulator.setReadLag({ reads: 1 });
    await iam.send(new AttachRolePolicyCommand({ RoleName: ROLE_NAME, PolicyArn: FULL_ACCESS }));
    expect(await listAttached()).toEqual([]);
    expect(await listAttached()).toEqual([FULL_ACCESS]);

    emulator.setReadLag({ reads: 2 });
    await iam.send(new DetachRolePolicyCommand({ RoleName: ROLE_NAME, PolicyArn: FULL_ACCESS }));
    expect(emulator.role(arn)?.attached).toEqual([]);
    expect(await listAttached()).toEqual([FULL_ACCESS]);
    expect(await listAttached()).toEqual([FULL_ACCESS]);
    expect(await listAttached()).toEqual([]);
    expect(emulator.callsOf('ListAttachedRolePolicies').map((c) => c.stale === true)).toEqual([
      true,
      false,
      true,
      true,
      false,
    ]);
  });

  test('GetRole neither lags nor counts as a read; other roles are not affected', async () => {
    emulator.addRole(ROLE_NAME);
    emulator.addRole('other');
    await iam.send(new PutRolePolicyCommand({ RoleName: 'other', PolicyName: 'q', PolicyDocument: POLICY }));
    emulator.setReadLag({ reads: 1 });
    await put(iam, 'p', policyWithSid('New'));
    await iam.send(new GetRoleCommand({ RoleName: ROLE_NAME }));
    const other = await iam.send(new GetRolePolicyCommand({ RoleName: 'other', PolicyName: 'q' }));
    expect(decodeURIComponent(other.PolicyDocument ?? '')).toBe(POLICY);
    expect(await readPolicy()).toBeUndefined(); // the one lagging read of connect-admins is this one
    expect(await readPolicy()).toBe(policyWithSid('New'));
    expect(emulator.callsOf('GetRole')[0]?.stale).toBeUndefined();
  });

  test('setReadLag(undefined) makes lagging writes visible at once; reset clears the lag', async () => {
    emulator.addRole(ROLE_NAME);
    emulator.setReadLag({ reads: 10 });
    await put(iam, 'p', policyWithSid('New'));
    expect(await readPolicy()).toBeUndefined();
    emulator.setReadLag(undefined);
    expect(await readPolicy()).toBe(policyWithSid('New'));

    emulator.setReadLag({ reads: 10 });
    emulator.reset();
    emulator.addRole(ROLE_NAME);
    await put(iam, 'p', policyWithSid('AfterReset'));
    expect(await readPolicy()).toBe(policyWithSid('AfterReset'));
  });

  test('setReadLag refuses negative or fractional lags', () => {
    expect(() => emulator.setReadLag({ reads: -1 })).toThrow(/reads/);
    expect(() => emulator.setReadLag({ reads: 1.5 })).toThrow(/reads/);
    expect(() => emulator.setReadLag({ ms: Number.NaN })).toThrow(/ms/);
  });

  test('setNeverConsistent: reads keep the state from before the first write after the call, whatever follows', async () => {
    const arn = emulator.addRole(ROLE_NAME);
    await put(iam, 'p', policyWithSid('Before'));
    emulator.setNeverConsistent(arn);
    expect(await readPolicy()).toBe(policyWithSid('Before')); // no write since the call: the live state
    await put(iam, 'p', policyWithSid('Written'));
    await iam.send(new AttachRolePolicyCommand({ RoleName: ROLE_NAME, PolicyArn: FULL_ACCESS }));
    await iam.send(new DeleteRolePolicyCommand({ RoleName: ROLE_NAME, PolicyName: 'p' }));
    await put(iam, 'q', policyWithSid('Other'));
    for (let i = 0; i < 10; i++) expect(await readPolicy()).toBe(policyWithSid('Before'));
    expect(await listNames()).toEqual(['p']);
    expect(await listAttached()).toEqual([]);
    expect(emulator.role(arn)).toMatchObject({
      inline: new Map([['q', policyWithSid('Other')]]),
      attached: [FULL_ACCESS],
    });
    // Writes validate against the true state: p is gone.
    expect(
      await failure(iam.send(new DeleteRolePolicyCommand({ RoleName: ROLE_NAME, PolicyName: 'p' }))),
    ).toBeInstanceOf(NoSuchEntityException);

    emulator.setNeverConsistent(arn, false);
    expect(await readPolicy()).toBeUndefined();
    expect(await listNames()).toEqual(['q']);
    expect(await listAttached()).toEqual([FULL_ACCESS]);
    expect(() => emulator.setNeverConsistent(`arn:aws:iam::${ACCOUNT}:role/nobody`)).toThrow(/no such role/);
  });
});
