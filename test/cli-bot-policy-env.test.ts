/**
 * `bot-policy` without --allowed-roles reads ALLOWED_ROLES (and, without --account, the account it names) from the
 * environment or `.env`, says so on stderr, and warns about patterns that match every role.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runCli } from '../src/cli';
import { generateBotPolicy } from '../src/policy/bot-policy';

const ACCOUNT = '111122223333';
const PATTERNS = `arn:aws:iam::${ACCOUNT}:role/connect-*,arn:aws:iam::${ACCOUNT}:role/ops/*`;
const run = async (argv: string[], env: NodeJS.ProcessEnv) => {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) }, env);
  return { code, out, err };
};

describe('cases-access bot-policy from ALLOWED_ROLES', () => {
  it('prints the same policy as with the flags, and names where the values came from', async () => {
    const { code, out, err } = await run(['bot-policy', '--json'], { ALLOWED_ROLES: PATTERNS });
    expect(code).toBe(0);
    const expected = await generateBotPolicy({
      accountId: ACCOUNT,
      allowedRolePatterns: PATTERNS.split(','),
    });
    expect(out).toBe(expected.documentText + '\n');
    expect(err).toContain(`--allowed-roles taken from ALLOWED_ROLES (the environment or .env): ${PATTERNS}`);
    expect(err).toContain(`--account taken from the allowed role patterns: ${ACCOUNT}`);
    expect(err).not.toContain('warning');
  });

  it('flags win over the environment', async () => {
    const { out, err } = await run(
      ['bot-policy', '--account', ACCOUNT, '--allowed-roles', `arn:aws:iam::${ACCOUNT}:role/x`, '--json'],
      { ALLOWED_ROLES: PATTERNS },
    );
    expect(err).toBe('');
    expect(out).toContain(`role/x`);
    expect(out).not.toContain('connect-');
  });

  it('warns about a role/* pattern, on stderr only', async () => {
    const { code, out, err } = await run(['bot-policy', '--json'], {
      ALLOWED_ROLES: `arn:aws:iam::${ACCOUNT}:role/*`,
    });
    expect(code).toBe(0);
    expect(() => JSON.parse(out)).not.toThrow();
    expect(err).toMatch(
      /warning: "arn:aws:iam::111122223333:role\/\*" matches every role in its account, admin roles too/,
    );
  });

  it('the built bin reads .env from the working directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cases-access-cli-env-'));
    try {
      writeFileSync(join(dir, '.env'), `ALLOWED_ROLES=${PATTERNS}\n`);
      const env = { PATH: process.env.PATH ?? '' };
      const bin = join(__dirname, '../dist/cli.js');
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, 'bot-policy', '--json'], {
        cwd: dir,
        env,
      });
      expect(stdout).toContain(`arn:aws:iam::${ACCOUNT}:role/connect-*`);
      expect(stderr).toContain('taken from ALLOWED_ROLES');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
