import type { IAMClient } from '@aws-sdk/client-iam';
import {
  AttachRolePolicyCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetAccountSummaryCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { IamError } from '../access/ports';
import type { IamCallResult, IamGateway } from '../access/ports';

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

const isNoSuchEntity = (error: unknown): boolean => toIamError(error).code === 'NoSuchEntity';

export class SdkIamGateway implements IamGateway {
  constructor(private readonly client: IAMClient) {}

  async getRole(roleName: string): Promise<{ arn: string; path: string } | undefined> {
    try {
      const out = await this.client.send(new GetRoleCommand({ RoleName: roleName }));
      return out.Role?.Arn ? { arn: out.Role.Arn, path: out.Role.Path ?? '/' } : undefined;
    } catch (error) {
      if (isNoSuchEntity(error)) return undefined;
      throw toIamError(error);
    }
  }

  async putRolePolicy(roleName: string, policyName: string, documentText: string): Promise<IamCallResult> {
    try {
      const out = await this.client.send(
        new PutRolePolicyCommand({
          RoleName: roleName,
          PolicyName: policyName,
          PolicyDocument: documentText,
        }),
      );
      return { awsRequestId: out.$metadata.requestId };
    } catch (error) {
      throw toIamError(error);
    }
  }

  async getRolePolicy(roleName: string, policyName: string): Promise<string | undefined> {
    try {
      const out = await this.client.send(
        new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }),
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
        new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }),
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
          new ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker: marker }),
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
          new ListRolePoliciesCommand({ RoleName: roleName, Marker: marker }),
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
      const out = await this.client.send(new GetAccountSummaryCommand({}));
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
        new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }),
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
        new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }),
      );
      return { awsRequestId: out.$metadata.requestId };
    } catch (error) {
      if (isNoSuchEntity(error)) return { gone: true, awsRequestId: toIamError(error).awsRequestId };
      throw toIamError(error);
    }
  }
}
