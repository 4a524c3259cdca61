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
