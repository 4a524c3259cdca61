/**
 * The message of anything thrown. Not `instanceof Error`: errors from a native addon (better-sqlite3) or another
 * realm fail that check while still carrying a message.
 */
export function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' ? message : String(error);
}

/** An error from any realm: a string message and a string stack (see messageOf). */
export function isErrorLike(value: unknown): value is { name?: string; message: string; stack: string } {
  const v = value as { message?: unknown; stack?: unknown } | null | undefined;
  return typeof v === 'object' && v !== null && typeof v.message === 'string' && typeof v.stack === 'string';
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);

/**
 * Whether an error means the database could not be reached (rather than that it refused what was asked): a
 * network error, PostgreSQL's connection-exception class 08 or an administrator shutdown (57P01–57P03), or
 * node-postgres's words for a lost connection. Work that meets one is left to resume, not failed.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  const e = error as { code?: unknown } | null | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (UNREACHABLE_CODES.has(code) || code.startsWith('08') || /^57P0[123]$/.test(code)) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED/.test(
    messageOf(error),
  );
}
