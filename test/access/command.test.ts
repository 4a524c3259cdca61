import { isRequestId, MAX_REASON_LENGTH, parseCommand, parseInstanceText } from '../../src/access/command';

const ROLE = 'arn:aws:iam::111122223333:role/connect-admins';
const INSTANCE = '8a9b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
const ID = 'CA-0123456789';

const errorOf = (text: string): string => {
  const parsed = parseCommand(text);
  if (parsed.kind !== 'error')
    throw new Error(`expected an error for ${JSON.stringify(text)}, got ${parsed.kind}`);
  return parsed.message;
};

describe('requests', () => {
  it('no text at all opens the dialog', () => {
    expect(parseCommand('')).toEqual({ kind: 'modal' });
    expect(parseCommand('  \n ')).toEqual({ kind: 'modal' });
  });

  it('help, in any case', () => {
    expect(parseCommand('help')).toEqual({ kind: 'help' });
    // A word after help is taken as a role: help then also says which rules would decide it.
    expect(parseCommand('HELP connect-admins')).toEqual({ kind: 'help', roleText: 'connect-admins' });
  });

  it('a plain request: Option 1, no duration, the reason as typed', () => {
    expect(parseCommand(`onboard ${ROLE} migrating to Cases`)).toEqual({
      kind: 'request',
      task: 'onboard',
      option: 'minimal',
      roleText: ROLE,
      instanceText: undefined,
      durationSeconds: undefined,
      reason: 'migrating to Cases',
    });
  });

  it('--for takes a duration', () => {
    expect(parseCommand(`view ${ROLE} --for 8h`)).toMatchObject({
      kind: 'request',
      durationSeconds: 28_800,
      reason: '',
    });
    expect(parseCommand(`view connect-admins --for 30m quick look`)).toMatchObject({
      roleText: 'connect-admins',
      durationSeconds: 1800,
      reason: 'quick look',
    });
    expect(parseCommand(`onboard ${ROLE} --for 7d`)).toMatchObject({ durationSeconds: 604_800 });
  });

  it('flags in any order, and the reason keeps its spacing and line breaks', () => {
    const reason = 'first  line,   spaced\n  second line';
    expect(parseCommand(`ONBOARD ${ROLE} --for 1d12h --instance ${INSTANCE} --managed ${reason}  `)).toEqual({
      kind: 'request',
      task: 'onboard',
      option: 'managed',
      roleText: ROLE,
      instanceText: INSTANCE,
      durationSeconds: 129_600,
      reason,
    });
  });

  it('refuses a bad or missing duration', () => {
    expect(errorOf(`view ${ROLE} --for`)).toMatch(/`--for` needs a duration such as `30m`, `8h` or `7d`\.$/);
    expect(errorOf(`view ${ROLE} --for forever`)).toMatch(/not `forever`/);
    expect(errorOf(`view ${ROLE} --for 1.5h`)).toMatch(/not `1\.5h`/);
    expect(errorOf(`view ${ROLE} --for 0m`)).toMatch(/--for/);
    expect(errorOf(`view ${ROLE} --for --managed`)).toMatch(/not `--managed`/);
  });

  it('refuses unknown flags, naming the known ones', () => {
    expect(errorOf(`view ${ROLE} --until 8h`)).toMatch(/Unknown flag `--until`.*`--for <duration>`/);
  });

  it('refuses a flag after the reason', () => {
    expect(errorOf(`view ${ROLE} because --for 8h`)).toMatch(/`--for` comes after the reason/);
  });

  it('refuses a missing role, a bad instance and an unknown verb', () => {
    expect(errorOf('onboard')).toMatch(/needs a role/);
    expect(errorOf('view --managed')).toMatch(/needs a role/);
    expect(errorOf(`view ${ROLE} --instance`)).toMatch(/needs an Amazon Connect instance ID/);
    expect(errorOf(`view ${ROLE} --instance nope`)).toMatch(/`nope` is not an Amazon Connect instance ID/);
    expect(errorOf(`grant ${ROLE}`)).toMatch(/Unknown command `grant`.*`revoke`, `status`, `audit`/);
  });

  it('refuses a reason longer than the limit', () => {
    expect(parseCommand(`view ${ROLE} ${'x'.repeat(MAX_REASON_LENGTH)}`)).toMatchObject({ kind: 'request' });
    expect(errorOf(`view ${ROLE} ${'x'.repeat(MAX_REASON_LENGTH + 1)}`)).toMatch(/keep it to 500/);
  });
});

describe('revoke', () => {
  it('takes a request ID (any case) and an optional reason with its spacing', () => {
    expect(parseCommand(`revoke ${ID}`)).toEqual({ kind: 'revoke', requestId: ID, reason: '' });
    expect(parseCommand(`Revoke ${ID.toLowerCase()}   done,  thanks\n bye `)).toEqual({
      kind: 'revoke',
      requestId: ID,
      reason: 'done,  thanks\n bye',
    });
  });

  it('refuses a missing or malformed ID and an overlong reason', () => {
    expect(errorOf('revoke')).toMatch(/`revoke` needs a request ID/);
    expect(errorOf('revoke 42')).toMatch(/`42` is not a request ID/);
    expect(errorOf('revoke CA-012345678')).toMatch(/not a request ID/); // 9 characters
    expect(errorOf('revoke CA-ILOU456789')).toMatch(/not a request ID/); // not Crockford base32
    expect(errorOf(`revoke ${ID} ${'x'.repeat(MAX_REASON_LENGTH + 1)}`)).toMatch(/keep it to 500/);
  });
});

describe('status', () => {
  it('with or without a request ID', () => {
    expect(parseCommand('status')).toEqual({ kind: 'status', page: 1 });
    expect(parseCommand(`status ${ID.toLowerCase()}`)).toEqual({ kind: 'status', requestId: ID, page: 1 });
  });

  it('refuses anything else', () => {
    expect(errorOf('status connect-admins')).toMatch(/not a request ID/);
    expect(errorOf(`status ${ID} ${ID}`)).toMatch(/at most one request ID/);
  });
});

describe('audit', () => {
  it('takes a role ARN, a role name or a request ID', () => {
    expect(parseCommand(`audit ${ROLE}`)).toEqual({ kind: 'audit', target: ROLE, page: 1 });
    expect(parseCommand('audit connect-admins')).toEqual({
      kind: 'audit',
      target: 'connect-admins',
      page: 1,
    });
    expect(parseCommand(`audit ${ID.toLowerCase()}`)).toEqual({ kind: 'audit', target: ID, page: 1 });
  });

  it('refuses nothing or too much', () => {
    expect(errorOf('audit')).toMatch(/needs a role ARN, role name or request ID/);
    expect(errorOf(`audit ${ROLE} extra`)).toMatch(/takes one role ARN, role name or request ID/);
  });
});

describe('helpers', () => {
  it('isRequestId', () => {
    expect(isRequestId(ID)).toBe(true);
    expect(isRequestId(ID.toLowerCase())).toBe(true);
    expect(isRequestId('CA-0123456789X')).toBe(false);
    expect(isRequestId('XX-0123456789')).toBe(false);
  });

  it('parseInstanceText: an instance ID or instance ARN', () => {
    expect(parseInstanceText(INSTANCE.toUpperCase())).toEqual({ instanceId: INSTANCE });
    expect(parseInstanceText(`arn:aws:connect:eu-west-2:111122223333:instance/${INSTANCE}`)).toEqual({
      instanceId: INSTANCE,
      region: 'eu-west-2',
      accountId: '111122223333',
    });
    expect(parseInstanceText('nope')).toBeUndefined();
    expect(parseInstanceText(`arn:aws:connect:eu-west-2:111122223333:instance/nope`)).toBeUndefined();
  });
});

describe('pages, dashes and echoes', () => {
  it('`--page <n>` goes with status and audit, anywhere after the verb', () => {
    expect(parseCommand('status --page 3')).toEqual({ kind: 'status', page: 3 });
    expect(parseCommand(`status ${ID} --page 2`)).toEqual({ kind: 'status', requestId: ID, page: 2 });
    expect(parseCommand(`audit --page 4 ${ROLE}`)).toEqual({ kind: 'audit', target: ROLE, page: 4 });
    expect(errorOf('status --page')).toMatch(/needs a page number/);
    expect(errorOf('status --page 0')).toMatch(/needs a page number/);
    expect(errorOf(`audit ${ROLE} --page two`)).toMatch(/needs a page number/);
    expect(errorOf(`onboard ${ROLE} --page 2`)).toMatch(/Unknown flag `--page`/);
  });

  it('an em or en dash typed for `--` is the flag, not the start of the reason', () => {
    for (const dash of ['\u2014', '\u2013'])
      expect(parseCommand(`onboard ${ROLE} ${dash}for 8h ${dash}managed rollout`)).toMatchObject({
        kind: 'request',
        option: 'managed',
        durationSeconds: 8 * 3600,
        reason: 'rollout',
      });
    // After the reason, a dashed flag is refused like a `--` one: it would otherwise be read as reason text.
    expect(errorOf(`onboard ${ROLE} rollout \u2014for 8h`)).toMatch(/comes after the reason/);
    // A reason that merely begins with a dash stays a reason.
    expect(parseCommand(`onboard ${ROLE} \u2014 see OPS-12`)).toMatchObject({ reason: '\u2014 see OPS-12' });
  });

  it('an instance ARN with an upper-case region is refused with the reason', () => {
    const arn = `arn:aws:connect:US-EAST-1:111122223333:instance/${INSTANCE}`;
    expect(parseInstanceText(arn)).toBeUndefined();
    expect(errorOf(`onboard ${ROLE} --instance ${arn}`)).toMatch(
      /region are lower-case \(e\.g\. `us-east-1`\)/,
    );
    expect(parseInstanceText(arn.replace('US-EAST-1', 'us-east-1'))).toMatchObject({ region: 'us-east-1' });
  });

  it('input quoted back is bounded and cannot close its code span', () => {
    const message = errorOf(`${'x'.repeat(5_000)} ${ROLE}`);
    expect(message.length).toBeLessThan(250);
    expect(errorOf('grant`evil` role')).toContain('`grantʼevilʼ`');
  });
});
