/** `30m`, `8h`, `7d` (and combinations such as `1d12h`) ↔ seconds. Pure. */

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 } as const;
const DURATION = /^(\d+[smhdw])+$/;

export function parseDuration(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (!DURATION.test(t)) return undefined;
  let seconds = 0;
  for (const [, n, unit] of t.matchAll(/(\d+)([smhdw])/g))
    seconds += Number(n) * UNIT_SECONDS[unit as keyof typeof UNIT_SECONDS];
  return seconds > 0 && Number.isSafeInteger(seconds) ? seconds : undefined;
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
