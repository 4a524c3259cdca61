/**
 * The IAM emulator's SimulatePrincipalPolicy: evaluates a role's policies with @cloud-copilot/iam-simulate (AGPL,
 * so tests only) and answers in IAM's shape. Its own module: the evaluation and its XML are one job, apart from the
 * emulator's protocol and state.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';

/** Where a policy came from, as IAM's PolicySourceType names it. */
export type PolicySourceType = 'role' | 'aws-managed' | 'user-managed' | 'none';

export interface SimulationPolicy {
  /** IAM's SourcePolicyId: the inline policy's name, the managed policy's name, or `PolicyInputList.N`. */
  id: string;
  type: PolicySourceType;
  document: string;
}

export interface PrincipalSimulation {
  principalArn: string;
  account: string;
  identity: SimulationPolicy[];
  boundary?: SimulationPolicy;
  /** The organization's SCPs that apply to the account (all at one level); absent: the account is in no organization. */
  scps?: SimulationPolicy[];
  actions: string[];
  /** Empty means `*`, as IAM does when ResourceArns is absent. */
  resources: string[];
}

export type EvalDecision = 'allowed' | 'explicitDeny' | 'implicitDeny';

interface Matched {
  id: string;
  type: PolicySourceType;
}

interface ResourceResult {
  resource: string;
  decision: EvalDecision;
  matched: Matched[];
  allowedByBoundary?: boolean;
  allowedByOrganizations?: boolean;
}

/** Thrown for input IAM refuses (an unknown action): the emulator answers it as InvalidInput. */
export class SimulationInputError extends Error {}

const DECISION = {
  Allowed: 'allowed',
  ExplicitlyDenied: 'explicitDeny',
  ImplicitlyDenied: 'implicitDeny',
} as const;

/** Most restrictive first: IAM's aggregate decision over several resources is the most restrictive one. */
const RESTRICTIVENESS: EvalDecision[] = ['explicitDeny', 'implicitDeny', 'allowed'];

/** The inner XML of SimulatePrincipalPolicyResult: one EvaluationResult per action, per-resource detail inside. */
export async function simulatePrincipal(sim: PrincipalSimulation): Promise<string> {
  const resources = sim.resources.length > 0 ? sim.resources : ['*'];
  const members: string[] = [];
  for (const action of sim.actions) {
    const results: ResourceResult[] = [];
    for (const resource of resources) results.push(await evaluate(sim, action, resource));
    const decision = RESTRICTIVENESS.find((d) => results.some((r) => r.decision === d)) ?? 'implicitDeny';
    const deciding = results.find((r) => r.decision === decision)!;
    members.push(
      el(
        'member',
        txt('EvalActionName', action) +
          txt('EvalResourceName', resources.length === 1 ? resources[0]! : '*') +
          txt('EvalDecision', decision) +
          matchedXml(deciding.matched) +
          '<MissingContextValues/>' +
          organizationsXml(deciding.allowedByOrganizations) +
          boundaryXml(deciding.allowedByBoundary) +
          el(
            'ResourceSpecificResults',
            results
              .map((r) =>
                el(
                  'member',
                  txt('EvalResourceName', r.resource) +
                    txt('EvalResourceDecision', r.decision) +
                    matchedXml(r.matched) +
                    '<MissingContextValues/>' +
                    boundaryXml(r.allowedByBoundary),
                ),
              )
              .join(''),
          ),
      ),
    );
  }
  return el('EvaluationResults', members.join('')) + txt('IsTruncated', 'false');
}

async function evaluate(sim: PrincipalSimulation, action: string, resource: string): Promise<ResourceResult> {
  const named = (p: SimulationPolicy): { name: string; policy: unknown } => ({
    name: JSON.stringify([p.id, p.type]),
    policy: JSON.parse(p.document) as unknown,
  });
  const outcome = await runSimulation(
    {
      request: {
        principal: sim.principalArn,
        action,
        resource: { resource, accountId: sim.account },
        contextVariables: {},
      },
      identityPolicies: sim.identity.map(named),
      permissionBoundaryPolicies: sim.boundary ? [named(sim.boundary)] : undefined,
      serviceControlPolicies: sim.scps ? [{ orgIdentifier: 'r-root', policies: sim.scps.map(named) }] : [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (outcome.resultType === 'error') throw new SimulationInputError(outcome.errors.message);
  const decision = DECISION[outcome.overallResult];
  // A wildcard resource is evaluated per resource type; the first one with the overall decision explains it.
  const analyses =
    outcome.resultType === 'single' ? [outcome.result.analysis] : outcome.results.map((r) => r.analysis);
  const analysis = analyses.find((a) => DECISION[a.result] === decision) ?? analyses[0];
  const matchedIn = (statements: { policyId: string }[] | undefined): Matched[] =>
    (statements ?? []).map((s) => {
      const [id, type] = JSON.parse(s.policyId) as [string, PolicySourceType];
      return { id, type };
    });
  const boundary = analysis?.permissionBoundaryAnalysis;
  let matched: Matched[] = [];
  if (decision === 'allowed') matched = matchedIn(analysis?.identityAnalysis?.allowStatements);
  else if (decision === 'explicitDeny')
    // Only the deny statements are reported for an explicit deny, as IAM does.
    matched = [
      ...matchedIn(analysis?.identityAnalysis?.denyStatements),
      ...matchedIn(boundary?.denyStatements),
    ];
  return {
    resource,
    decision,
    matched: uniqueMatched(matched),
    allowedByBoundary: sim.boundary ? boundary?.result === 'Allowed' : undefined,
    allowedByOrganizations: sim.scps ? analysis?.scpAnalysis?.result === 'Allowed' : undefined,
  };
}

function uniqueMatched(list: Matched[]): Matched[] {
  const seen = new Set<string>();
  return list.filter((m) => {
    const key = `${m.type}:${m.id}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function matchedXml(matched: Matched[]): string {
  return el(
    'MatchedStatements',
    matched.map((m) => el('member', txt('SourcePolicyId', m.id) + txt('SourcePolicyType', m.type))).join(''),
  );
}

/** Present only when the account is in an organization, as in IAM. */
function organizationsXml(allowed: boolean | undefined): string {
  return allowed === undefined
    ? ''
    : el('OrganizationsDecisionDetail', txt('AllowedByOrganizations', String(allowed)));
}

/** Present only when the principal has a permissions boundary, as in IAM. */
function boundaryXml(allowed: boolean | undefined): string {
  return allowed === undefined
    ? ''
    : el('PermissionsBoundaryDecisionDetail', txt('AllowedByPermissionsBoundary', String(allowed)));
}

/** An element whose content is already XML. */
function el(name: string, xml: string): string {
  return `<${name}>${xml}</${name}>`;
}

/** An element of text. */
function txt(name: string, text: string): string {
  return el(name, escapeXml(text));
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Documents of the AWS managed policies the emulator knows (GetPolicyVersion answers them; the simulation evaluates
 * them). Abridged to the statements that matter here, with the facts DESIGN.md checked: read-only has connect
 * Get/Describe/List, ds:DescribeDirectories and one deny, nothing for `cases:`; full access has connect:*, Customer
 * Profiles only on `domains/amazon-connect-*`, the service-linked role, no iam:PutRolePolicy and nothing for `cases:`.
 */
export const MANAGED_POLICY_DOCUMENTS: Readonly<Record<string, string>> = {
  'arn:aws:iam::aws:policy/AmazonConnectReadOnlyAccess': JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AllowConnectReadOnly',
        Effect: 'Allow',
        Action: ['connect:Get*', 'connect:Describe*', 'connect:List*', 'ds:DescribeDirectories'],
        Resource: '*',
      },
      {
        Sid: 'DenyConnectEmergencyAccess',
        Effect: 'Deny',
        Action: 'connect:AdminGetEmergencyAccessToken',
        Resource: '*',
      },
    ],
  }),
  'arn:aws:iam::aws:policy/AmazonConnect_FullAccess': JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'AllowConnectActions', Effect: 'Allow', Action: ['connect:*', 'ds:*'], Resource: '*' },
      {
        Sid: 'AllowCustomerProfilesForConnectDomain',
        Effect: 'Allow',
        Action: 'profile:*',
        Resource: [
          'arn:aws:profile:*:*:domains/amazon-connect-*',
          'arn:aws:profile:*:*:domains/amazon-connect-*/*',
        ],
      },
      {
        Sid: 'AllowConnectServiceLinkedRole',
        Effect: 'Allow',
        Action: ['iam:CreateServiceLinkedRole', 'iam:DeleteServiceLinkedRole'],
        Resource:
          'arn:aws:iam::*:role/aws-service-role/connect.amazonaws.com/AWSServiceRoleForAmazonConnect*',
      },
    ],
  }),
  'arn:aws:iam::aws:policy/AdministratorAccess': JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
  }),
};
