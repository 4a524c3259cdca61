import { IAMClient } from '@aws-sdk/client-iam';
import type { STSClient } from '@aws-sdk/client-sts';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { IamError } from '../access/ports';
import type { IamAccess, IamGateway, IamSession, IdentityProvider } from '../access/ports';
import { partitionOf } from '../access/roles';
import { AWS_CLIENT_OPTIONS } from './clients';
import { SdkIamGateway, toIamError } from './iam-gateway';

export interface CrossAccountRole {
  /** The role the bot assumes in each target account, e.g. `cases-access-target`. */
  roleName: string;
  externalId?: string;
}

/** Assumed sessions are kept for a while (STS AssumeRole grants 15 minutes here); reused per request and user. */
const SESSION_SECONDS = 900;
const REUSE_MS = 10 * 60_000;

/**
 * IAM in the bot's own account with its own credentials; in another account through STS AssumeRole of the
 * configured role, with a session named after the request and SourceIdentity set to the Slack user, so the
 * target account's CloudTrail shows who approved each write.
 */
export class SdkIamAccess implements IamAccess {
  private readonly sessions = new Map<string, { gateway: Promise<SdkIamGateway>; until: number }>();

  constructor(
    private readonly own: SdkIamGateway,
    private readonly identity: IdentityProvider,
    private readonly sts: STSClient,
    private readonly crossAccount?: CrossAccountRole,
    private readonly now: () => number = Date.now,
  ) {}

  async forAccount(accountId: string, session: IamSession): Promise<IamGateway> {
    const caller = await this.identity.callerIdentity();
    if (accountId === caller.accountId) return this.own.withFence(session.fence);
    if (!this.crossAccount)
      throw new IamError(
        'CrossAccountDisabled',
        `account ${accountId} is not the bot's own and CROSS_ACCOUNT_ROLE_NAME is not set`,
      );
    const key = `${accountId}|${session.sessionName}|${session.sourceIdentity}`;
    const cached = this.sessions.get(key);
    if (cached && cached.until > this.now()) return (await cached.gateway).withFence(session.fence);
    const partition = partitionOf(caller.arn);
    const gateway = this.assume(
      `arn:${partition}:iam::${accountId}:role/${this.crossAccount.roleName}`,
      session,
    );
    this.sessions.set(key, { gateway, until: this.now() + REUSE_MS });
    gateway.catch(() => this.sessions.delete(key));
    return (await gateway).withFence(session.fence);
  }

  private async assume(roleArn: string, session: IamSession): Promise<SdkIamGateway> {
    let out;
    try {
      out = await this.sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          // Session names allow [\w+=,.@-]{2,64}; request IDs and Slack user IDs fit.
          RoleSessionName: session.sessionName.slice(0, 64),
          SourceIdentity: session.sourceIdentity,
          ExternalId: this.crossAccount?.externalId,
          DurationSeconds: SESSION_SECONDS,
        }),
      );
    } catch (error) {
      throw toIamError(error);
    }
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken)
      throw new IamError('AssumeRoleFailed', `STS AssumeRole of ${roleArn} returned no credentials`);
    const client = new IAMClient({
      ...AWS_CLIENT_OPTIONS,
      // The bot's own region (AWS_REGION): the target account is in the same partition.
      region: this.sts.config.region,
      credentials: {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: c.Expiration,
      },
    });
    return new SdkIamGateway(client);
  }

  /** Forgets sessions (their clients close idle sockets). */
  clear(): void {
    this.sessions.clear();
  }
}
