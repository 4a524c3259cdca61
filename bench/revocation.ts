import { performance } from 'node:perf_hooks';
import { ACTION } from '../src/slack/blocks';
import { APPROVER, requestIdFrom, startHarness, waitFor } from '../test/support/harness';
import type { Harness } from '../test/support/harness';
import { TestClock } from '../test/support/test-clock';
import { round, summarize } from './lib';
import type { Percentiles } from './lib';

/**
 * Issue 11: revocations never wait for Slack. GRANTS one-hour grants come due at once, first with Slack answering
 * normally (the baseline), then with every chat.postMessage and chat.update answered 429 (Retry-After
 * RETRY_AFTER_S) until Slack comes back. Reported: due → the policy gone from IAM, per grant, in both; and once
 * Slack is back, how long until every thread holds every step. Runs the bot in this process (a fork of its own, so
 * its environment touches nothing else) against the tests' fake Slack and IAM emulator, on a test clock for the
 * due times and real time for everything else.
 */

export const GRANTS = 20;
export const RETRY_AFTER_S = 15;
const ACCOUNT = '111122223333';
const HOUR_MS = 3_600_000;

export interface RevocationFigure {
  grants: number;
  /** Scheduler pass started (the grants due) → each grant's policy gone from IAM, ms. */
  slackHealthy: Percentiles;
  slack429: Percentiles;
  /** 429s the fake Slack answered while the grants were revoked. */
  rateLimited: number;
  /** Slack back → every thread reply and card update of the revocations delivered, ms. */
  threadsCompleteAfterSlackBackMs: number;
}

async function grantAll(h: Harness, clock: TestClock, prefix: string): Promise<string[]> {
  const names = Array.from({ length: GRANTS }, (_, i) => `connect-${prefix}-${i}`);
  for (const name of names) h.iam.addRole(name);
  const roles = names.map((name) => `arn:aws:iam::${ACCOUNT}:role/${name}`);
  const ids: string[] = [];
  for (const role of roles) {
    const { reply } = await h.command(`view ${role} --for 1h bench`);
    ids.push(requestIdFrom(reply));
  }
  // One at a time, as one approver clicks (the work queue caps what one user has in flight).
  for (const [i, id] of ids.entries()) {
    await h.click(ACTION.approve, id, APPROVER);
    await waitFor(() => h.iam.role(roles[i]!)!.inline.has('cases-access-view'), 10_000);
  }
  await h.bot.slackSettled();
  clock.advance(HOUR_MS + 60_000);
  return roles;
}

/** Runs one scheduler pass and times each role's policy leaving IAM. */
async function timeRemovals(h: Harness, roles: string[]): Promise<Percentiles> {
  const started = performance.now();
  const goneAt = new Map<string, number>();
  let polling = true;
  const poll = (async () => {
    while (polling && goneAt.size < roles.length) {
      for (const r of roles)
        if (!goneAt.has(r) && !h.iam.role(r)!.inline.has('cases-access-view'))
          goneAt.set(r, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();
  await h.bot.runScheduledWork();
  await waitFor(() => goneAt.size === roles.length, 120_000);
  polling = false;
  await poll;
  return summarize([...goneAt.values()]);
}

export async function measureRevocation(): Promise<RevocationFigure> {
  const clock = new TestClock(new Date('2026-03-02T09:00:00.000Z'));
  const h = await startHarness({
    env: { LOG_LEVEL: 'warn' },
    start: { clock, schedulerIntervalMs: HOUR_MS },
  });
  try {
    await h.tick();
    const healthyRoles = await grantAll(h, clock, 'healthy');
    const slackHealthy = await timeRemovals(h, healthyRoles);
    await h.bot.slackSettled();

    const limitedRoles = await grantAll(h, clock, 'limited');
    const before = h.slack.calls.filter((c) => c.error === 'ratelimited').length;
    for (let i = 0; i < 10_000; i++) {
      h.slack.queueRateLimit('chat.postMessage', RETRY_AFTER_S);
      h.slack.queueRateLimit('chat.update', RETRY_AFTER_S);
    }
    const slack429 = await timeRemovals(h, limitedRoles);
    const rateLimited = h.slack.calls.filter((c) => c.error === 'ratelimited').length - before;
    h.slack.clearQueued();
    const back = performance.now();
    await h.bot.slackSettled();
    const threadsCompleteAfterSlackBackMs = performance.now() - back;
    return { grants: GRANTS, slackHealthy, slack429, rateLimited, threadsCompleteAfterSlackBackMs };
  } finally {
    await h.close();
  }
}

export function revocationLine(f: RevocationFigure): string {
  const p = (x: Percentiles) => `p50 ${round(x.p50, 0)} / max ${round(x.max, 0)} ms`;
  return (
    `revocation under Slack 429s (${f.grants} one-hour grants due at once; due → policy gone from IAM):\n` +
    `  Slack healthy ${p(f.slackHealthy)}; every chat.postMessage/chat.update answered 429 (Retry-After ${RETRY_AFTER_S} s, ` +
    `${f.rateLimited} answered) ${p(f.slack429)}; every thread complete ${round(f.threadsCompleteAfterSlackBackMs / 1000, 1)} s after Slack came back`
  );
}

// Run as a child of bench/run.ts: measure, send the figure, exit.
if (require.main === module) {
  measureRevocation().then(
    (figure) => process.send?.(figure, () => process.exit(0)),
    (error: unknown) => {
      process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
      process.exit(1);
    },
  );
}
