import fc from 'fast-check';
import {
  checkDuration,
  DURATION_CEILING_SECONDS,
  formatDuration,
  parseDuration,
} from '../../src/access/duration';

describe('parseDuration', () => {
  it.each<[string, number]>([
    ['30m', 1800],
    ['8h', 28_800],
    ['7d', 604_800],
    ['2w', 1_209_600],
    ['90s', 90],
    ['1d12h', 129_600],
    ['1h30m', 5400],
    ['8H', 28_800],
    [' 8h ', 28_800],
    ['0h30m', 1800],
  ])('%j → %d seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each([
    '',
    ' ',
    '8',
    'h',
    '8x',
    '-1h',
    '1.5h',
    '0m',
    '0s0h',
    '8 h',
    '1h 30m',
    'forever',
    'h8',
    '1h30',
    '+8h',
  ])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('rejects what does not fit in a safe integer', () => {
    expect(parseDuration(`${'9'.repeat(20)}w`)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each<[number, string]>([
    [0, '0s'],
    [59, '59s'],
    [60, '1m'],
    [1800, '30m'],
    [3600, '1h'],
    [5400, '1h30m'],
    [28_800, '8h'],
    [86_400, '1d'],
    [604_800, '7d'],
    [90_061, '1d1h1m1s'],
  ])('%d → %j', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('parses back to the same number of seconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: DURATION_CEILING_SECONDS }), (seconds) => {
        expect(parseDuration(formatDuration(seconds))).toBe(seconds);
      }),
    );
  });

  it('refuses anything past 366 days, however it is written, as too long (not as a syntax error)', () => {
    expect(DURATION_CEILING_SECONDS).toBe(366 * 86_400);
    expect(checkDuration('366d')).toEqual({ ok: true, seconds: DURATION_CEILING_SECONDS });
    for (const text of ['367d', '366d1s', '99999999999d', '2739726w', `${'9'.repeat(400)}s`])
      expect(checkDuration(text)).toEqual({ ok: false, problem: 'too_long' });
    fc.assert(
      fc.property(
        fc.integer({ min: DURATION_CEILING_SECONDS + 1, max: Number.MAX_SAFE_INTEGER }),
        (seconds) => {
          expect(parseDuration(`${seconds}s`)).toBeUndefined();
        },
      ),
    );
  });
});
