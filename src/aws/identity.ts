import type { STSClient } from '@aws-sdk/client-sts';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { CallerIdentity, IdentityProvider } from '../access/ports';
import { toIamError } from './iam-gateway';

/** Who the bot is in AWS (STS GetCallerIdentity), asked once and kept: it does not change while the process runs. */
export class StsIdentityProvider implements IdentityProvider {
  private cached?: Promise<CallerIdentity>;

  constructor(private readonly client: STSClient) {}

  callerIdentity(): Promise<CallerIdentity> {
    this.cached ??= this.client.send(new GetCallerIdentityCommand({})).then(
      (out) => {
        if (!out.Account || !out.Arn) throw new Error('STS GetCallerIdentity returned no account');
        return { accountId: out.Account, arn: out.Arn };
      },
      (error: unknown) => {
        this.cached = undefined; // a failure is not cached: the next request asks again
        throw toIamError(error);
      },
    );
    return this.cached;
  }
}
