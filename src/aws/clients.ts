import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';

/**
 * The SDK clients, with the default credential chain and endpoint resolution (AWS_ENDPOINT_URL_IAM / _STS are
 * honoured by the SDK itself). IAM is global: its signing region is us-east-1 whatever AWS_REGION says.
 */
export interface AwsClients {
  iam: IAMClient;
  sts: STSClient;
  destroy(): void;
}

export function createAwsClients(region: string | undefined): AwsClients {
  // Throttling and 5xx are retried with the SDK's standard backoff, within a bound.
  const common = { maxAttempts: 4 };
  const iam = new IAMClient({ ...common, region: 'us-east-1' });
  const sts = new STSClient({ ...common, region: region ?? 'us-east-1' });
  return {
    iam,
    sts,
    destroy: () => {
      iam.destroy();
      sts.destroy();
    },
  };
}
