import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { AWS_CALL_BOUND_MS, AWS_MAX_ATTEMPTS, createAwsClients } from '../../src/aws/clients';
import { loadConfig } from '../../src/config';

/**
 * A hung socket must not outlive a lease: every AWS call ends in bounded time, retries included. Shown against a
 * local server that accepts the request and never answers, with the real SDK client and short timeouts.
 */

it('a call to an IAM endpoint that never answers fails after its attempts, each cut at the request timeout', async () => {
  const sockets = new Set<Socket>();
  let received = 0;
  const server = createServer(() => {
    received += 1; // … and never answer
  });
  server.on('connection', (s) => sockets.add(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const previous = process.env.AWS_ENDPOINT_URL_IAM;
  process.env.AWS_ENDPOINT_URL_IAM = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'AKIATESTKEY000000000',
    AWS_SECRET_ACCESS_KEY: 'x'.repeat(40),
  });
  const clients = createAwsClients('us-east-1', { connectionTimeout: 200, requestTimeout: 300 });
  try {
    const started = Date.now();
    await expect(clients.iam.send(new GetRoleCommand({ RoleName: 'connect-admins' }))).rejects.toHaveProperty(
      'name',
      expect.stringMatching(/Timeout/i),
    );
    expect(received).toBe(AWS_MAX_ATTEMPTS);
    // Four attempts of 300 ms plus the SDK's short backoff: far below any lease.
    expect(Date.now() - started).toBeLessThan(10_000);
  } finally {
    clients.destroy();
    for (const s of sockets) s.destroy();
    server.close();
    if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_IAM;
    else process.env.AWS_ENDPOINT_URL_IAM = previous;
  }
});

it('the default timeouts bound every call, retries included, well below the default APPLY_LEASE', () => {
  const config = loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-1',
    SLACK_SIGNING_SECRET: 's',
    APPROVAL_CHANNEL_ID: 'C0APPROVALS',
    APPROVERS: 'U0APPROVER1',
    ALLOWED_ROLES: 'arn:aws:iam::111122223333:role/connect-*',
  });
  expect(AWS_CALL_BOUND_MS).toBeLessThan((config.applyLeaseSeconds * 1000) / 2);
});
