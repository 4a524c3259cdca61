import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';

/**
 * The SDK clients, with the default credential chain and endpoint resolution (AWS_ENDPOINT_URL_IAM / _STS are
 * honoured by the SDK itself). Both get AWS_REGION, so the SDK's endpoint rules pick its partition: IAM is global
 * within a partition (iam.amazonaws.com signed for us-east-1 from any commercial region, the China and GovCloud
 * endpoints signed for cn-north-1 and us-gov-west-1 from theirs), STS is regional. A fixed us-east-1 would send an
 * aws-cn or aws-us-gov deployment's calls, and credentials, to the commercial partition, which refuses them.
 */
export interface AwsClients {
  iam: IAMClient;
  sts: STSClient;
  destroy(): void;
}

/**
 * Every AWS call ends in bounded time, so a hung socket cannot outlive the lease of the work that made it
 * (APPLY_LEASE, 2 min by default): at most MAX_ATTEMPTS × (connect + request timeout) plus the SDK's short backoff,
 * about 55 s. Throttling and 5xx are retried with the SDK's standard backoff, within that bound.
 */
export const AWS_CONNECTION_TIMEOUT_MS = 3_000;
export const AWS_REQUEST_TIMEOUT_MS = 10_000;
export const AWS_MAX_ATTEMPTS = 4;
/** The longest an AWS call can take, retries included (what APPLY_LEASE must exceed). */
export const AWS_CALL_BOUND_MS =
  AWS_MAX_ATTEMPTS * (AWS_CONNECTION_TIMEOUT_MS + AWS_REQUEST_TIMEOUT_MS) + 5_000;

export interface AwsTimeouts {
  connectionTimeout: number;
  requestTimeout: number;
}

const DEFAULT_TIMEOUTS: AwsTimeouts = {
  connectionTimeout: AWS_CONNECTION_TIMEOUT_MS,
  requestTimeout: AWS_REQUEST_TIMEOUT_MS,
};

/** Options every IAM and STS client gets (the cross-account ones too). */
export function awsClientOptions(timeouts: AwsTimeouts = DEFAULT_TIMEOUTS) {
  // Without throwOnRequestTimeout, the SDK's HTTP handler only logs a warning when requestTimeout passes and the
  // call goes on waiting (up to its 5-minute socket timeout).
  return {
    maxAttempts: AWS_MAX_ATTEMPTS,
    requestHandler: { ...timeouts, throwOnRequestTimeout: true },
  };
}

export const AWS_CLIENT_OPTIONS = awsClientOptions();

/** AWS_REGION; us-east-1 when it is unset, as before (the SDK itself would fail at the first call). */
export const clientRegion = (region: string | undefined): string => region?.trim() || 'us-east-1';

export function createAwsClients(region: string | undefined, timeouts?: AwsTimeouts): AwsClients {
  const options = awsClientOptions(timeouts);
  const iam = new IAMClient({ ...options, region: clientRegion(region) });
  const sts = new STSClient({ ...options, region: clientRegion(region) });
  return {
    iam,
    sts,
    destroy: () => {
      iam.destroy();
      sts.destroy();
    },
  };
}
