/** The demo refuses to start where it could reach real Slack or AWS, or be reached from another machine. */
import { DEMO_AWS_ACCESS_KEY_ID, DEMO_AWS_SECRET_ACCESS_KEY, demoRefusals } from '../../demo/safety';

describe('demoRefusals', () => {
  it('lets a clean environment on a loopback address through', () => {
    for (const host of ['127.0.0.1', '::1', 'localhost'])
      expect(demoRefusals({ PATH: '/usr/bin' }, host)).toEqual([]);
    const demoKeys = {
      AWS_ACCESS_KEY_ID: DEMO_AWS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: DEMO_AWS_SECRET_ACCESS_KEY,
    };
    expect(demoRefusals(demoKeys, '127.0.0.1')).toEqual([]);
  });

  it.each([
    ['AWS_ACCESS_KEY_ID', 'AKIAIOSFODNN7EXAMPLE'],
    ['AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
    ['AWS_PROFILE', 'prod'],
    ['AWS_SESSION_TOKEN', 'token'],
    ['AWS_WEB_IDENTITY_TOKEN_FILE', '/var/run/token'],
    ['AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', '/v2/credentials'],
    ['SLACK_BOT_TOKEN', 'xoxb-1-2-3'],
    ['SLACK_APP_TOKEN', 'xapp-1-2-3'],
    ['SLACK_SIGNING_SECRET', 'abc'],
  ])('refuses %s', (name, value) => {
    const reasons = demoRefusals({ [name]: value }, '127.0.0.1');
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toContain(name);
  });

  it.each(['0.0.0.0', '::', '192.168.1.20', 'example.test'])('refuses to listen on %s', (host) => {
    expect(demoRefusals({}, host)).toEqual([expect.stringContaining('not a loopback address')]);
  });

  it('names every reason at once', () => {
    expect(demoRefusals({ AWS_PROFILE: 'x', SLACK_BOT_TOKEN: 'xoxb-1' }, '0.0.0.0')).toHaveLength(3);
  });
});
