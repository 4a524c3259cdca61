/** Bad arguments: one line on stderr, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** node:util parseArgs' message, first sentence, as one of ours. */
export function usageFromParseError(error: unknown): UsageError {
  return new UsageError(
    ((error as Error).message.split('. ')[0] ?? 'bad arguments').replace(/^Unknown/, 'unknown'),
  );
}

/** What the CLI says when run with nothing: where to look, not the whole help. */
export const SHORT_USAGE =
  'usage: cases-access <policy|bot-policy|audit> … (cases-access --help lists every command and option)\n';
