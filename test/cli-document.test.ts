/** `policy --document` prints the policy document alone: what the bot writes, pipeable into put-role-policy. */
import { runCli } from '../src/cli';
import { generatePlan } from '../src/policy';

const run = async (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) }, env);
  return { code, out, err };
};

describe('cases-access policy --document', () => {
  it('prints exactly the compact document the bot would write, and nothing else', async () => {
    const { code, out, err } = await run(['policy', 'onboard', '--account', '111122223333', '--document']);
    expect([code, err]).toEqual([0, '']);
    const plan = await generatePlan({ task: 'onboard', option: 'minimal', accountId: '111122223333' });
    expect(out).toBe(plan.documentText + '\n');
    expect(JSON.parse(out)).toEqual(plan.document);
  });

  it('works with --managed (the inline part of Option 2)', async () => {
    const { out } = await run(['policy', 'view', '--managed', '--document']);
    expect(JSON.parse(out).Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['CasesGetDomain']);
  });

  it('is refused together with --json', async () => {
    const { code, out, err } = await run(['policy', 'view', '--document', '--json']);
    expect([code, out]).toEqual([2, '']);
    expect(err).toMatch(/--json and --document: choose one/);
  });
});
