import { IamError } from './ports';
import type { IamGateway, SimulatedDecision, SimulationDecision } from './ports';

/**
 * Evidence for the approver: what IAM's own evaluator (SimulatePrincipalPolicy) says about the grant's documented
 * actions on their resources, for the role as it is and with the grant added, and what the role already holds. It
 * never decides anything: a failed simulation degrades to "not checked" and the request goes on.
 */

export interface EvidenceRow {
  action: string;
  resource: string;
  before: SimulationDecision;
  after: SimulationDecision;
  /**
   * What decides the row, in words: the policies IAM names for an allow ("this grant" for the plan's own policies),
   * or why it stays denied (an explicit deny in named policies, the permissions boundary, an organization's SCP).
   */
  deciding: string;
}

/** What the role already holds: names only, never documents. */
export interface RoleHoldings {
  inlinePolicies: string[];
  managedPolicies: string[];
  boundary?: string;
}

export type Evidence =
  | ({ checked: true; rows: EvidenceRow[] } & RoleHoldings)
  | ({ checked: false; code: string } & Partial<RoleHoldings>);

export interface EvidenceSummary {
  total: number;
  /** Allowed before the grant. */
  already: number;
  /** Allowed only with the grant. */
  added: number;
  /** Still not allowed with the grant: the grant would not fully work. */
  denied: { action: string; resource: string; reason: string }[];
}

export interface PlanToSimulate {
  documentText: string;
  managedPolicyArns: readonly string[];
}

/** Each documented (action, resource), grouped by resource: one simulator call per resource. */
export function documentedActions(documentText: string): { resource: string; actions: string[] }[] {
  const document = JSON.parse(documentText) as {
    Statement: { Effect: string; Action: string | string[]; Resource: string | string[] }[];
  };
  const byResource = new Map<string, Set<string>>();
  for (const s of document.Statement) {
    if (s.Effect !== 'Allow') continue;
    for (const resource of [s.Resource].flat())
      for (const action of [s.Action].flat()) {
        const actions = byResource.get(resource) ?? new Set<string>();
        actions.add(action);
        byResource.set(resource, actions);
      }
  }
  return [...byResource].map(([resource, actions]) => ({ resource, actions: [...actions] }));
}

/** Every documented action on each of its resources, evaluated for the role with `extraPolicies` added. */
export async function simulateDocumented(
  iam: IamGateway,
  roleArn: string,
  documentText: string,
  extraPolicies: readonly string[],
): Promise<SimulatedDecision[]> {
  const groups = documentedActions(documentText);
  const results = await Promise.all(
    groups.map(async (g) =>
      // IAM echoes the resource; it is set here so that rows match whatever EvalResourceName IAM reports.
      (await iam.simulate(roleArn, g.actions, [g.resource], extraPolicies)).map((d) => ({
        ...d,
        resource: g.resource,
      })),
    ),
  );
  return results.flat();
}

const MANAGED_DOCUMENT_TTL_MS = 60 * 60 * 1000;

/**
 * Default versions of the managed policies a plan attaches, kept for an hour: AWS changes them rarely, and with them
 * at hand the whole evidence is one round of parallel IAM calls (GetPolicy then GetPolicyVersion otherwise).
 */
export class ManagedPolicyDocuments {
  private readonly cache = new Map<string, { document: string; until: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async documentOf(iam: IamGateway, policyArn: string): Promise<string> {
    const cached = this.cache.get(policyArn);
    if (cached && cached.until > this.now()) return cached.document;
    const policy = await iam.getPolicy(policyArn);
    const document =
      policy?.defaultVersionId === undefined
        ? undefined
        : await iam.getPolicyVersion(policyArn, policy.defaultVersionId);
    if (document === undefined) throw new IamError('NoSuchEntity', `${policyArn} has no default version`);
    this.cache.set(policyArn, { document, until: this.now() + MANAGED_DOCUMENT_TTL_MS });
    return document;
  }
}

const codeOf = (error: unknown): string => (error instanceof IamError ? error.code : 'Error');

/**
 * Simulates the plan's documented actions for the role as it is and with the plan added (its inline document, then
 * each managed policy's default version, as PolicyInputList.1, .2, …), and lists what the role holds, all at once.
 * Never throws for an IAM error: it becomes `checked: false` with IAM's code.
 */
export async function gatherEvidence(
  iam: IamGateway,
  role: { arn: string; name: string },
  plan: PlanToSimulate,
  documents: ManagedPolicyDocuments,
): Promise<Evidence> {
  const managedDocuments = Promise.all(plan.managedPolicyArns.map((arn) => documents.documentOf(iam, arn)));
  const [holdings, simulated] = await Promise.allSettled([
    Promise.all([
      iam.listRolePolicies(role.name),
      iam.listAttachedRolePolicies(role.name),
      iam.getRole(role.name),
    ]),
    Promise.all([
      simulateDocumented(iam, role.arn, plan.documentText, []),
      managedDocuments.then((docs) =>
        simulateDocumented(iam, role.arn, plan.documentText, [plan.documentText, ...docs]),
      ),
    ]),
  ]);
  if (holdings.status === 'rejected' && !(holdings.reason instanceof IamError)) throw holdings.reason;
  if (simulated.status === 'rejected' && !(simulated.reason instanceof IamError)) throw simulated.reason;
  const held: Partial<RoleHoldings> =
    holdings.status === 'fulfilled'
      ? {
          inlinePolicies: holdings.value[0],
          managedPolicies: holdings.value[1].map(policyNameOf),
          ...(holdings.value[2]?.boundaryArn
            ? { boundary: policyNameOf(holdings.value[2].boundaryArn) }
            : {}),
        }
      : {};
  if (simulated.status === 'rejected') return { checked: false, code: codeOf(simulated.reason), ...held };
  if (holdings.status === 'rejected') return { checked: false, code: codeOf(holdings.reason) };
  const [before, after] = simulated.value;
  // Paired by action and resource, not by position: the answer's order is IAM's.
  const beforeOf = new Map(before.map((b) => [`${b.action} ${b.resource}`, b]));
  const rows = after.map((a): EvidenceRow => {
    const b = beforeOf.get(`${a.action} ${a.resource}`) ?? { ...a, decision: 'implicitDeny', matched: [] };
    return {
      action: a.action,
      resource: a.resource,
      before: b.decision,
      after: a.decision,
      deciding: deciding(b.decision === 'allowed' ? b : a, held.boundary),
    };
  });
  return {
    checked: true,
    rows,
    inlinePolicies: held.inlinePolicies!,
    managedPolicies: held.managedPolicies!,
    ...(held.boundary ? { boundary: held.boundary } : {}),
  };
}

/** `arn:aws:iam::aws:policy/service-role/X` → `X` */
export const policyNameOf = (arn: string): string => arn.slice(arn.lastIndexOf('/') + 1);

/** Why IAM decided as it did, in words; `PolicyInputList.N` are the grant's own policies. */
export function deciding(d: SimulatedDecision, boundary: string | undefined): string {
  const names = d.matched.map((m) => (m.startsWith('PolicyInputList.') ? 'this grant' : m));
  const named = [...new Set(names)].join(', ');
  if (d.decision === 'allowed') return named || 'allowed';
  if (d.allowedByOrganizations === false) return 'an organization’s SCP';
  if (d.allowedByBoundary === false) return `the permissions boundary ${boundary ?? ''}`.trim();
  if (d.decision === 'explicitDeny') return `an explicit deny in ${named || 'a policy'}`;
  return 'no policy allows it';
}

export function summarise(evidence: Evidence & { checked: true }): EvidenceSummary {
  const rows = evidence.rows;
  return {
    total: rows.length,
    already: rows.filter((r) => r.before === 'allowed').length,
    added: rows.filter((r) => r.before !== 'allowed' && r.after === 'allowed').length,
    denied: rows
      .filter((r) => r.after !== 'allowed')
      .map((r) => ({ action: r.action, resource: r.resource, reason: r.deciding })),
  };
}
