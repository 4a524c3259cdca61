import { createLogger, redact } from '../src/log';

describe('redact', () => {
  it.each([
    ['a bot token', 'xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx'],
    ['a user token', 'xoxp-1234-5678-90ab-cdef'],
    ['a legacy/other Slack token', 'xoxa-2-abc-def'],
    ['a refresh token', 'xoxr-abc123'],
    ['an app-level token', 'xapp-1-A0123456789-1234567890123-0a1b2c3d4e5f6a7b8c9d'],
    ['an AWS secret access key', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
  ])('removes %s even when it is not a known secret', (_label, token) => {
    const out = redact(`before ${token} after`, []);
    expect(out).toBe('before [redacted] after');
    expect(out).not.toContain(token.slice(0, 12));
  });

  it('removes a token inside JSON, keeping the JSON valid', () => {
    const line = JSON.stringify({ message: 'auth', token: 'xoxb-111-222-abc', appToken: 'xapp-1-A1-2-b' });
    const out = redact(line, []);
    expect(JSON.parse(out)).toEqual({ message: 'auth', token: '[redacted]', appToken: '[redacted]' });
  });

  it('removes every occurrence of each known secret, whatever its shape', () => {
    const secrets = ['my-signing-secret-123', 'another-secret-value'];
    const out = redact(
      'sig my-signing-secret-123, again my-signing-secret-123; other another-secret-value!',
      secrets,
    );
    expect(out).toBe('sig [redacted], again [redacted]; other [redacted]!');
  });

  it('leaves ordinary text alone: IDs, ARNs, a SHA-256, words that merely start like tokens', () => {
    const text = [
      'request CA-0123456789 for arn:aws:iam::111122223333:role/connect-admins',
      'sha256 ' + 'a'.repeat(64),
      'aws request id 3f1c2a4b-1111-2222-3333-444455556666',
      'xoxb and xapp are token prefixes',
      'user U0123ABCD in C0123ABCD',
    ].join('\n');
    expect(redact(text, [])).toBe(text);
  });
});

describe('createLogger', () => {
  const capture = () => {
    const lines: string[] = [];
    return { lines, write: (line: string) => lines.push(line) };
  };

  it('writes one JSON object per line with time, level and message', () => {
    const out = capture();
    const logger = createLogger('info', [], out.write);
    logger.info('hello', { requestId: 'CA-1' });
    logger.error('bad', { error: new Error('boom') });
    expect(out.lines).toHaveLength(2);
    for (const line of out.lines) {
      expect(line.endsWith('\n')).toBe(true);
      expect(line.slice(0, -1)).not.toContain('\n');
    }
    const first = JSON.parse(out.lines[0]!);
    expect(first).toMatchObject({ level: 'info', message: 'hello', requestId: 'CA-1' });
    expect(new Date(first.time).toISOString()).toBe(first.time);
    const second = JSON.parse(out.lines[1]!);
    expect(second.error).toMatchObject({ name: 'Error', message: 'boom' });
    expect(second.error.stack).toContain('boom');
  });

  it('drops lines below the configured level', () => {
    const out = capture();
    const logger = createLogger('warn', [], out.write);
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(out.lines.map((l) => JSON.parse(l).level)).toEqual(['warn', 'error']);
    const debug = capture();
    createLogger('debug', [], debug.write).debug('d');
    expect(debug.lines).toHaveLength(1);
  });

  it('redacts known secrets and token shapes in messages, fields and error messages', () => {
    const out = capture();
    const secret = 'signing-secret-abcdef';
    const logger = createLogger('debug', [secret], out.write);
    logger.debug(`verifying with ${secret}`, {
      headers: { authorization: 'Bearer xoxb-123-456-abcdef' },
      error: new Error('bad token xapp-1-A1-2-abc'),
    });
    const line = out.lines.join('');
    expect(line).not.toContain(secret);
    expect(line).not.toContain('xoxb-123');
    expect(line).not.toContain('xapp-1-A1');
    const parsed = JSON.parse(line);
    expect(parsed.message).toBe('verifying with [redacted]');
    expect(parsed.headers.authorization).toBe('Bearer [redacted]');
    expect(parsed.error.message).toBe('bad token [redacted]');
  });

  it('still logs the message when the fields cannot be serialized', () => {
    const out = capture();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    createLogger('info', [], out.write).info('with a cycle', { circular });
    expect(JSON.parse(out.lines[0]!)).toMatchObject({ level: 'info', message: 'with a cycle' });
  });
});
