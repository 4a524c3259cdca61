import { webApi } from '@slack/bolt';
import { messageOf } from '../errors';
import type { Logger } from '../log';

/**
 * Start-up asks Slack whether it accepts the bot token before the bot says it started. Bolt's own check (`app.init()`)
 * goes through its client, which retries a failed call for about half an hour: the right thing for a card, not for
 * start-up. So the question is asked first through a client that fails at once, and whatever went wrong becomes one
 * line that names the variable or the host. No retries: the process exits non-zero and its supervisor (Docker's
 * restart policy, systemd, Kubernetes) starts it again with its own back-off.
 */

/** How long start-up waits for Slack's answer. */
export const SLACK_CHECK_TIMEOUT_MS = 10_000;

export const DEFAULT_SLACK_API_URL = 'https://slack.com/api/';

/** Slack refused a token, or could not be asked: the message is the one line start-up logs. */
export class SlackStartError extends Error {
  override readonly name = 'SlackStartError';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** Resolves once Slack accepted `token` (auth.test); rejects with a SlackStartError otherwise. */
export async function checkBotToken(
  token: string,
  apiUrl: string | undefined,
  logger: Logger,
): Promise<void> {
  // Its own account of a failure would repeat the one line start-up logs: kept to debug.
  const quiet = (...m: unknown[]) => {
    if (logger.enabled('debug')) logger.debug(m.map(String).join(' '), { source: 'slack-web-api' });
  };
  const client = new webApi.WebClient(token, {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    timeout: SLACK_CHECK_TIMEOUT_MS,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logger: {
      debug: quiet,
      info: quiet,
      warn: quiet,
      error: quiet,
      setLevel: () => undefined,
      getLevel: () => webApi.LogLevel.DEBUG,
      setName: () => undefined,
    },
  });
  try {
    await client.auth.test();
  } catch (error) {
    throw slackStartError(error, 'SLACK_BOT_TOKEN', apiUrl);
  }
}

const TOKEN_PAGES: Record<string, string> = {
  SLACK_BOT_TOKEN:
    'the Bot User OAuth Token, on the app’s OAuth & Permissions page (reinstalling the app issues a new one)',
  SLACK_APP_TOKEN: 'an app-level token with connections:write, under Basic Information → App-Level Tokens',
};

/** What went wrong asking Slack with the token in `variable`, as one line and a hint. */
export function slackStartError(
  error: unknown,
  variable: string,
  apiUrl: string | undefined,
): SlackStartError {
  if (error instanceof SlackStartError) return error;
  const at = apiUrl ?? DEFAULT_SLACK_API_URL;
  const e = error as { code?: unknown; data?: { error?: unknown }; original?: unknown; statusCode?: unknown };
  switch (e?.code) {
    case webApi.ErrorCode.PlatformError:
      return new SlackStartError(
        `Slack rejected ${variable}: ${String(e.data?.error)}`,
        `${variable} must be ${TOKEN_PAGES[variable] ?? 'the app’s token'}`,
      );
    case webApi.ErrorCode.RequestError:
      return new SlackStartError(
        `could not reach Slack at ${at} (${networkReason(e.original)})`,
        'check SLACK_API_URL (unset for Slack itself), DNS, and any proxy or firewall between the bot and Slack',
      );
    case webApi.ErrorCode.HTTPError:
      return new SlackStartError(
        `Slack at ${at} answered HTTP ${String(e.statusCode)}`,
        'Slack may be having trouble (https://status.slack.com), or SLACK_API_URL is not a Slack Web API',
      );
    case webApi.ErrorCode.RateLimitedError:
      return new SlackStartError(
        `Slack at ${at} is rate limiting the bot`,
        'the bot is restarted too often, or another process uses the same token heavily',
      );
    default:
      return new SlackStartError(
        `could not check ${variable} with Slack at ${at}: ${messageOf(error)}`,
        'see the lines before this one',
      );
  }
}

/** The system's word for a failed request (ECONNREFUSED, ENOTFOUND…), or that no answer came in time. */
function networkReason(original: unknown): string {
  // AbortSignal.timeout's DOMException; from another realm it arrives wrapped, as "TimeoutError: …".
  const name = (original as { name?: unknown } | undefined)?.name;
  if (
    name === 'TimeoutError' ||
    name === 'AbortError' ||
    /^(TimeoutError|AbortError)\b/.test(messageOf(original))
  )
    return `no answer within ${SLACK_CHECK_TIMEOUT_MS / 1000} s`;
  // fetch reports "fetch failed" and puts the socket's error, which has the code, in its cause.
  for (let e = original, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return messageOf(original);
}
