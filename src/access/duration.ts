/** `30m`, `8h`, `7d` (and combinations such as `1d12h`) ↔ seconds. Pure. */

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 } as const;
const DURATION = /^(\d+[smhdw])+$/;

/**
 * The longest grant the bot ever makes, whatever MAX_GRANT_DURATION says: a year and a day keeps every end time a
 * four-digit-year date, so stored timestamps compare correctly as text in both stores.
 */
export const DURATION_CEILING_SECONDS = 366 * 86_400;

/** Why a duration text is not usable, or its length in seconds. */
export type DurationParse = { ok: true; seconds: number } | { ok: false; problem: 'syntax' | 'too_long' };

export function checkDuration(text: string): DurationParse {
  const t = text.trim().toLowerCase();
  if (!DURATION.test(t)) return { ok: false, problem: 'syntax' };
  let seconds = 0;
  for (const [, n, unit] of t.matchAll(/(\d+)([smhdw])/g))
    seconds += Number(n) * UNIT_SECONDS[unit as keyof typeof UNIT_SECONDS];
  if (!(seconds > 0)) return { ok: false, problem: 'syntax' };
  // Also catches the sums too large to be exact numbers.
  if (!Number.isSafeInteger(seconds) || seconds > DURATION_CEILING_SECONDS)
    return { ok: false, problem: 'too_long' };
  return { ok: true, seconds };
}

/** Seconds, or undefined for a text that is not a duration or is longer than the ceiling. */
export function parseDuration(text: string): number | undefined {
  const parsed = checkDuration(text);
  return parsed.ok ? parsed.seconds : undefined;
}

/** The message for a duration text that `checkDuration` refused; plain text (dialog errors are not mrkdwn). */
export function durationProblem(text: string, problem: 'syntax' | 'too_long'): string {
  const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return problem === 'too_long'
    ? `"${shown}" is longer than 366 days, the longest grant the bot makes.`
    : `Use a duration such as 30m, 8h or 7d, not "${shown}".`;
}

export function formatDuration(seconds: number): string {
  const parts: string[] = [];
  let rest = seconds;
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('') || '0s';
}
