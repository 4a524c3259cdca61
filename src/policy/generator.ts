import { CATALOG, SERVICE_LINKED_ROLE_ARN_PATTERN } from './catalog';
import { canonicalJson, sha256Hex } from './canonical';
import { ACCOUNT_ID, INSTANCE_ID, PARTITION, REGION } from './identifiers';
import type { PlanRequest, PolicyDocument, PolicyPlan, PolicyStatement, Task } from './types';
import { validatePlan } from './validation';

export class PlanRequestError extends Error {
  override readonly name = 'PlanRequestError';
}

/** Deterministic inline policy name per task: approving the same task again replaces, never accumulates. */
export function policyNameFor(task: Task): string {
  return `cases-access-${task}`;
}

interface NarrowingScope {
  partition: string;
  accountId?: string;
  instanceArn?: string;
}

/**
 * The documented narrowing: the service-linked role in the target account, and the instance-scoped
 * connect actions on one instance. Everything else (wildcard-only actions, cases:GetDomain) stays on `*`.
 */
function narrow(statement: PolicyStatement, scope: NarrowingScope): PolicyStatement[] {
  const { instanceArn, accountId, partition } = scope;
  switch (statement.Sid) {
    case 'ListIntegrationAssociations':
      return instanceArn ? [{ ...statement, Resource: instanceArn }] : [statement];
    case 'CreateIntegrationAssociationsAndDependencies':
      if (!instanceArn) return [statement];
      // DescribeInstance has no integration-association resource type, so it gets its own statement.
      return [
        {
          ...statement,
          Action: ['connect:CreateIntegrationAssociation'],
          Resource: [instanceArn, `${instanceArn}/integration-association/*`],
        },
        {
          Sid: 'DescribeConnectInstance',
          Effect: 'Allow',
          Action: ['connect:DescribeInstance'],
          Resource: instanceArn,
        },
      ];
    case 'AttachAnyPolicyToAmazonConnectRole': {
      if (!accountId && partition === 'aws') return [statement];
      const resource = SERVICE_LINKED_ROLE_ARN_PATTERN.replace('arn:aws:', `arn:${partition}:`).replace(
        'iam::*:',
        `iam::${accountId ?? '*'}:`,
      );
      return [{ ...statement, Resource: resource }];
    }
    default:
      return [statement];
  }
}

function checkRequest(request: PlanRequest): void {
  if (!CATALOG[request.task]) throw new PlanRequestError(`unknown task "${String(request.task)}"`);
  if (!CATALOG[request.task][request.option])
    throw new PlanRequestError(`unknown option "${String(request.option)}"`);
  if (request.accountId !== undefined && !ACCOUNT_ID.test(request.accountId))
    throw new PlanRequestError(`account "${request.accountId}" is not 12 digits`);
  if (request.partition !== undefined && !PARTITION.test(request.partition))
    throw new PlanRequestError(`partition "${request.partition}" is not an AWS partition`);
  if (request.instance) {
    if (!INSTANCE_ID.test(request.instance.instanceId))
      throw new PlanRequestError(
        `instance "${request.instance.instanceId}" is not an Amazon Connect instance ID (a UUID)`,
      );
    if (!REGION.test(request.instance.region))
      throw new PlanRequestError(
        `region "${request.instance.region}" is not an AWS region such as us-east-1`,
      );
  }
}

/** The document only: pure and synchronous. Use `generatePlan` to get a validated plan. */
export function buildDocument(request: PlanRequest): PolicyDocument {
  checkRequest(request);
  const entry = CATALOG[request.task][request.option];
  const statements = entry.statements.map((s) => structuredClone(s));
  if (request.verbatim) return { Version: '2012-10-17', Statement: statements };
  const partition = request.partition ?? 'aws';
  const scope: NarrowingScope = { partition, accountId: request.accountId };
  if (request.instance) {
    const { instanceId, region } = request.instance;
    scope.instanceArn = `arn:${partition}:connect:${region}:${request.accountId ?? '*'}:instance/${instanceId.toLowerCase()}`;
  }
  return { Version: '2012-10-17', Statement: statements.flatMap((s) => narrow(s, scope)) };
}

/** Request → plan, validated against AWS's Service Authorization Reference; throws on any catalog or request defect. */
export async function generatePlan(request: PlanRequest): Promise<PolicyPlan> {
  const document = buildDocument(request);
  const documentText = canonicalJson(document);
  const plan: PolicyPlan = {
    task: request.task,
    option: request.option,
    policyName: policyNameFor(request.task),
    document,
    documentText,
    managedPolicyArns: [...CATALOG[request.task][request.option].managedPolicyArns],
    sha256: sha256Hex(documentText),
  };
  await validatePlan(plan);
  return plan;
}
