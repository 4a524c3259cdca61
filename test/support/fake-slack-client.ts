/** A real @slack/web-api client pointed at the fake, and what Slack answered when it refused a call. */
import { LogLevel, webApi } from '@slack/bolt';
import type { Logger } from '@slack/bolt';
import type { FakeSlack } from './fake-slack';

// The client logs every refusal's messages at error level; the tests read them from the refusal instead.
const quiet: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};

export function clientFor(fake: FakeSlack): webApi.WebClient {
  return new webApi.WebClient('xoxb-test', {
    slackApiUrl: fake.apiUrl,
    retryConfig: { retries: 0 },
    logger: quiet,
  });
}

export interface Refusal {
  error: string;
  /** `response_metadata.messages`, when Slack sent any. */
  messages: string[];
}

/** Resolves with Slack's refusal of `call`; fails the test if Slack accepted it. */
export async function refusalOf(call: Promise<unknown>): Promise<Refusal> {
  try {
    await call;
  } catch (e) {
    const data = (e as { data?: { error?: string; response_metadata?: { messages?: string[] } } }).data;
    if (data?.error === undefined) throw e;
    return { error: data.error, messages: data.response_metadata?.messages ?? [] };
  }
  throw new Error('Slack accepted a call the test expected it to refuse');
}

export const chars = (n: number, c = 'x'): string => c.repeat(n);
