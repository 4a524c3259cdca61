import type { IAMClient } from '@aws-sdk/client-iam';
import type { MetadataBearer, MiddlewareStack } from '@smithy/types';
import {
  AttachRolePolicyCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetAccountSummaryCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  SimulatePrincipalPolicyCommand,
} from '@aws-sdk/client-iam';
import { IamError } from '../access/ports';
import type { IamCallResult, IamGateway, SimulatedDecision, SimulationDecision } from '../access/ports';

/** The IAM calls the workflow makes, over the real SDK client. Errors become IamError with AWS's code and message. */

interface AwsErrorShape {
  name?: string;
  message?: string;
  Code?: string;
  $metadata?: { requestId?: string };
}

export function toIamError(error: unknown): IamError {
  const e = (error ?? {}) as AwsErrorShape;
  // Modelled errors are named "<Code>Exception" by the SDK; the others keep AWS's bare code.
  const code = (e.Code ?? e.name ?? 'UnknownError').replace(/Exception$/, '');
  return new IamError(code, e.message ?? String(error), e.$metadata?.requestId);
}

/** An unknown decision counts as a deny: evidence never claims more access than IAM said. */
const asDecision = (value: string | undefined): SimulationDecision =>
  value === 'allowed' || value === 'explicitDeny' ? value : 'implicitDeny';

const isNoSuchEntity = (error: unknown): boolean => toIamError(error).code === 'NoSuchEntity';

/** The header that names the owner (request and lease generation) of each call; see IamSession.fence. */
export const FENCE_HEADER = 'x-cases-access-fence';

export class SdkIamGateway implements IamGateway {
  constructor(
    private readonly client: IAMClient,
    private readonly fence?: string,
  ) {}

  /** The client with this gateway's fence header on every call. */
  private fenced<C extends { middlewareStack: object }>(command: C): C {
    const fence = this.fence;
    if (fence === undefined) return command;
    // Every command's stack has this shape; only its input and output types differ, and the header ignores them.
    (command.middlewareStack as MiddlewareStack<object, MetadataBearer>).add(
      (next) => async (args) => {
        const request = args.request as { headers?: Record<string, string> };
        if (request.headers) request.headers[FENCE_HEADER] = fence;
        return next(args);
      },
      { step: 'build', name: 'casesAccessFence' },
    );
    return command;
  }

  /** The same client, naming another owner. */
  withFence(fence: string | undefined): SdkIamGateway {
    return fence === this.fence ? this : new SdkIamGateway(this.client, fence);
  }

  async getPolicy(
    policyArn: string,
  ): Promise<{ attachable: boolean; defaultVersionId?: string } | undefined> {
    try {
      const out = await this.client.send(this.fenced(new GetPolicyCommand({ PolicyArn: policyArn })));
      return out.Policy
        ? { attachable: out.Policy.IsAttachable !== false, defaultVersionId: out.Policy.DefaultVersionId }
        : undefined;
    } catch (error) {
      if (isNoSuchEntity(error)) return undefined;
      throw toIamError(error);
    }
  }

  async getPolicyVersion(policyArn: string, versionId: string): Promise<string | undefined> {
    try {
      const out = await this.client.send(
        this.fenced(new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: versionId })),
      );
      // URL-encoded like every policy document IAM returns.
      const document = out.PolicyVersion?.Document;
      return document === undefined ? undefined : decodeURIComponent(document);
    } catch (error) {
      if (isNoSuchEntity(error)) return undefined;
      throw toIamError(error);
    }
  }

  async simulate(
    roleArn: string,
    actions: readonly string[],
    resources: readonly string[],
    extraPolicies: readonly string[],
  ): Promise<SimulatedDecision[]> {
    const decisions: SimulatedDecision[] = [];
    let marker: string | undefined;
    try {
      do {
        const out = await this.client.send(
          this.fenced(
            new SimulatePrincipalPolicyCommand({
              PolicySourceArn: roleArn,
              ActionNames: [...actions],
              ResourceArns: resources.length > 0 ? [...resources] : undefined,
              PolicyInputList: extraPolicies.length > 0 ? [...extraPolicies] : undefined,
              Marker: marker,
            }),
          ),
        );
        for (const r of out.EvaluationResults ?? []) {
          decisions.push({
            action: r.EvalActionName ?? '',
            resource: r.EvalResourceName ?? resources[0] ?? '*',
            decision: asDecision(r.EvalDecision),
            matched: [...new Set((r.MatchedStatements ?? []).flatMap((m) => m.SourcePolicyId ?? []))],
            allowedByBoundary: r.PermissionsBoundaryDecisionDetail?.AllowedByPermissionsBoundary,
            allowedByOrganizations: r.OrganizationsDecisionDetail?.AllowedByOrganizations,
          });
        }
        marker = out.IsTruncated ? out.Marker : undefined;
      } while (marker);
    } catch (error) {
      throw toIamError(error);
    }
    return decisions;
  }

  async getRole(roleName: string): Promise<{ arn: string; path: string; boundaryArn?: string } | undefined> {
    try {
      const out = await this.client.send(this.fenced(new GetRoleCommand({ RoleName: roleName })));
      if (!out.Role?.Arn) return undefined;
      const boundaryArn = out.Role.PermissionsBoundary?.PermissionsBoundaryArn;
      return { arn: out.Role.Arn, path: out.Role.Path ?? '/', ...(boundaryArn ? { boundaryArn } : {}) };
    } catch (error) {
      if (isNoSuchEntity(error)) return undefined;
      throw toIamError(error);
    }
  }

  async putRolePolicy(roleName: string, policyName: string, documentText: string): Promise<IamCallResult> {
    try {
      const out = await this.client.send(
        this.fenced(
          new PutRolePolicyCommand({
            RoleName: roleName,
            PolicyName: policyName,
            PolicyDocument: documentText,
          }),
        ),
      );
      return { awsRequestId: out.$metadata.requestId };
    } catch (error) {
      throw toIamError(error);
    }
  }

  async getRolePolicy(roleName: string, policyName: string): Promise<string | undefined> {
    try {
      const out = await this.client.send(
        this.fenced(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })),
      );
      // IAM returns the document URL-encoded (RFC 3986); the SDK leaves it so.
      return out.PolicyDocument === undefined ? undefined : decodeURIComponent(out.PolicyDocument);
    } catch (error) {
      if (isNoSuchEntity(error)) return undefined;
      throw toIamError(error);
    }
  }

  async attachRolePolicy(roleName: string, policyArn: string): Promise<IamCallResult> {
    try {
      const out = await this.client.send(
        this.fenced(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn })),
      );
      return { awsRequestId: out.$metadata.requestId };
    } catch (error) {
      throw toIamError(error);
    }
  }

  async listAttachedRolePolicies(roleName: string): Promise<string[]> {
    const arns: string[] = [];
    let marker: string | undefined;
    try {
      do {
        const out = await this.client.send(
          this.fenced(new ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker: marker })),
        );
        for (const p of out.AttachedPolicies ?? []) if (p.PolicyArn) arns.push(p.PolicyArn);
        marker = out.IsTruncated ? out.Marker : undefined;
      } while (marker);
    } catch (error) {
      throw toIamError(error);
    }
    return arns;
  }

  async listRolePolicies(roleName: string): Promise<string[]> {
    const names: string[] = [];
    let marker: string | undefined;
    try {
      do {
        const out = await this.client.send(
          this.fenced(new ListRolePoliciesCommand({ RoleName: roleName, Marker: marker })),
        );
        names.push(...(out.PolicyNames ?? []));
        marker = out.IsTruncated ? out.Marker : undefined;
      } while (marker);
    } catch (error) {
      throw toIamError(error);
    }
    return names;
  }

  async accountSummary(): Promise<Record<string, number>> {
    try {
      const out = await this.client.send(this.fenced(new GetAccountSummaryCommand({})));
      return Object.fromEntries(
        Object.entries(out.SummaryMap ?? {}).filter((e): e is [string, number] => typeof e[1] === 'number'),
      );
    } catch (error) {
      throw toIamError(error);
    }
  }

  async deleteRolePolicy(roleName: string, policyName: string): Promise<IamCallResult & { gone?: boolean }> {
    try {
      const out = await this.client.send(
        this.fenced(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })),
      );
      return { awsRequestId: out.$metadata.requestId };
    } catch (error) {
      if (isNoSuchEntity(error)) return { gone: true, awsRequestId: toIamError(error).awsRequestId };
      throw toIamError(error);
    }
  }

  async detachRolePolicy(roleName: string, policyArn: string): Promise<IamCallResult & { gone?: boolean }> {
    try {
      const out = await this.client.send(
        this.fenced(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn })),
      );
      return { awsRequestId: out.$metadata.requestId };
    } catch (error) {
      if (isNoSuchEntity(error)) return { gone: true, awsRequestId: toIamError(error).awsRequestId };
      throw toIamError(error);
    }
  }
}
