/**
 * The IAM and STS clients follow AWS_REGION to its partition's endpoints and signing region (aws, aws-cn,
 * aws-us-gov). Each request is caught after signing and before it is sent: no network.
 */
import { GetAccountSummaryCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { FinalizeHandlerArguments, MetadataBearer } from '@smithy/types';
import { createAwsClients } from '../../src/aws/clients';

class Caught extends Error {
  constructor(readonly request: { hostname: string; headers: Record<string, string> }) {
    super('caught before sending');
  }
}

/** Where a client would send its next request, and the region it signed it for. */
async function target(send: () => Promise<unknown>) {
  try {
    await send();
  } catch (error) {
    if (!(error instanceof Caught)) throw error;
    const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(
      error.request.headers.authorization ?? '',
    );
    return { host: error.request.hostname, signingRegion: scope?.[1], service: scope?.[2] };
  }
  throw new Error('the request was not caught');
}

// A middleware in the deserialize step, which runs after signing (finalizeRequest) and wraps the HTTP handler.
const catchSigned =
  () =>
  async (args: FinalizeHandlerArguments<object>): Promise<{ output: MetadataBearer; response: unknown }> => {
    throw new Caught(args.request as { hostname: string; headers: Record<string, string> });
  };

describe('IAM and STS endpoints per partition', () => {
  const saved = { ...process.env };
  beforeAll(() => {
    for (const name of ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_IAM', 'AWS_ENDPOINT_URL_STS', 'AWS_PROFILE'])
      delete process.env[name];
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'AKIAPARTITIONTEST000',
      AWS_SECRET_ACCESS_KEY: 'partition-test-secret-key-000000000000000',
    });
  });
  afterAll(() => {
    process.env = saved;
  });

  it.each([
    ['us-east-1', 'iam.amazonaws.com', 'us-east-1', 'sts.us-east-1.amazonaws.com', 'us-east-1'],
    ['eu-west-2', 'iam.amazonaws.com', 'us-east-1', 'sts.eu-west-2.amazonaws.com', 'eu-west-2'],
    [
      'cn-northwest-1',
      'iam.cn-north-1.amazonaws.com.cn',
      'cn-north-1',
      'sts.cn-northwest-1.amazonaws.com.cn',
      'cn-northwest-1',
    ],
    [
      'us-gov-east-1',
      'iam.us-gov.amazonaws.com',
      'us-gov-west-1',
      'sts.us-gov-east-1.amazonaws.com',
      'us-gov-east-1',
    ],
  ])(
    'AWS_REGION=%s: IAM at %s signed for %s, STS at %s signed for %s',
    async (region, iamHost, iamSigning, stsHost, stsSigning) => {
      const aws = createAwsClients(region);
      try {
        aws.iam.middlewareStack.add(catchSigned, { step: 'deserialize', priority: 'low' });
        aws.sts.middlewareStack.add(catchSigned, { step: 'deserialize', priority: 'low' });
        expect(await target(() => aws.iam.send(new GetAccountSummaryCommand({})))).toEqual({
          host: iamHost,
          signingRegion: iamSigning,
          service: 'iam',
        });
        expect(await target(() => aws.sts.send(new GetCallerIdentityCommand({})))).toEqual({
          host: stsHost,
          signingRegion: stsSigning,
          service: 'sts',
        });
      } finally {
        aws.destroy();
      }
    },
  );

  it('without AWS_REGION both default to us-east-1, as before', async () => {
    const aws = createAwsClients(undefined);
    try {
      aws.iam.middlewareStack.add(catchSigned, { step: 'deserialize', priority: 'low' });
      expect(await target(() => aws.iam.send(new GetAccountSummaryCommand({})))).toMatchObject({
        host: 'iam.amazonaws.com',
        signingRegion: 'us-east-1',
      });
      expect(await aws.sts.config.region()).toBe('us-east-1');
    } finally {
      aws.destroy();
    }
  });
});
