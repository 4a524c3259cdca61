import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACCOUNT, APPROVER, APPROVER_2, APPROVER_GROUP, REQUESTER, startHarness } from './harness';
import type { Harness } from './harness';
import type { StartOptions } from '../../src/index';

/** The bot started with an ACCESS_RULES file (the example of issue 13, shaped for the test account). */

export const SECURITY_CHANNEL = 'CSECURITY';
export const SECURITY_GROUP = 'SSECURITY';
export const REQUESTERS_GROUP = 'SREQUESTERS';
export const PROD_ROLE = `arn:aws:iam::${ACCOUNT}:role/connect-prod-agents`;
export const DEV_ROLE = `arn:aws:iam::${ACCOUNT}:role/connect-dev-agents`;

export const RULES_YAML = `
rules:
  - name: onboarding-prod
    roles: ["arn:aws:iam::${ACCOUNT}:role/connect-prod-*"]
    tasks: [onboard]
    requesters: [${REQUESTER}, ${REQUESTERS_GROUP}]
    approvers: [${APPROVER}, ${APPROVER_2}, ${APPROVER_GROUP}]
    approvals: 2
    notify: [${SECURITY_GROUP}]
    channel: ${SECURITY_CHANNEL}
    maxDuration: 8h
    breakGlass:
      maxDuration: 1h
  - name: viewing
    roles: ["arn:aws:iam::${ACCOUNT}:role/connect-*"]
    tasks: [view]
    approvers: [${APPROVER_2}]
`;

export interface RulesRig {
  h: Harness;
  close(): Promise<void>;
}

export async function startRulesRig(yaml = RULES_YAML, start: StartOptions = {}): Promise<RulesRig> {
  const dir = mkdtempSync(join(tmpdir(), 'cases-access-rules-'));
  const file = join(dir, 'rules.yaml');
  writeFileSync(file, yaml);
  const h = await startHarness({ env: { ACCESS_RULES: file }, start });
  for (const name of ['connect-prod-agents', 'connect-dev-agents']) h.iam.addRole(name);
  // Set before any lookup: members are cached for a minute.
  h.slack.setUsergroup(REQUESTERS_GROUP, ['UMEMBER', 'ULONG']);
  h.slack.setUsergroup(SECURITY_GROUP, []);
  return {
    h,
    async close() {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
