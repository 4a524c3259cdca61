import nodeModule from 'node:module';
import { config as loadDotenv } from 'dotenv';
import { HomeQueries } from './access/home';
import { AccessQueries } from './access/queries';
import { RevocationService } from './access/revocation';
import { LifecycleScheduler } from './access/scheduler';
import { AccessService } from './access/service';
import { systemClock } from './access/ports';
import type { Clock, IdentityProvider } from './access/ports';
import { callerRoleName, patternsMatchingRoleName } from './access/roles';
import { AWS_CALL_BOUND_MS, createAwsClients } from './aws/clients';
import { SdkIamAccess } from './aws/iam-access';
import { SdkIamGateway } from './aws/iam-gateway';
import { StsIdentityProvider } from './aws/identity';
import { ConfigError, loadConfig, secretsOf } from './config';
import type { Config } from './config';
import { createLogger } from './log';
import type { Logger } from './log';
import { approverLookupClient, SlackApproverDirectory } from './slack/approvers';
import { createSlackApp } from './slack/app';
import { registerListeners } from './slack/listeners';
import { HomeRefreshingNotifier } from './slack/home-notifier';
import { HomePublisher } from './slack/home-publisher';
import { slackDeliveryClient, SlackNotifier } from './slack/notifier';
import { SlackStartError } from './slack/startup-check';
import { openStore } from './store';
import { messageOf } from './errors';

/**
 * Start-up: config → store → AWS gateways → Slack app → start. Slack must accept the bot token before the bot says it
 * started; when it does not (or cannot be reached), start-up logs one line saying why and fails (see SlackApp.start).
 */

export interface RunningBot {
  port: number;
  logger: Logger;
  /** One pass of the time-based work (revocations due, expiry, reminders), as the scheduler runs it. */
  runScheduledWork(): Promise<void>;
  /** Resolves once every Slack message queued so far has been sent or has failed (tests, shutdown). */
  slackSettled(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  /** How often the scheduler looks for due work (default 30 s). */
  schedulerIntervalMs?: number;
  /** Where JSON log lines go (stdout by default). */
  writeLog?: (line: string) => void;
}

export async function startBot(env: NodeJS.ProcessEnv, options: StartOptions = {}): Promise<RunningBot> {
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel, secretsOf(config, env), options.writeLog);
  const store = await openStore(config.databaseUrl);
  const aws = createAwsClients(env.AWS_REGION);
  let ready = false;
  const slack = createSlackApp(config, logger, async () => ready && (await store.ping()));
  const client = slack.app.client;
  const clock = options.clock ?? systemClock;
  const identity = new StsIdentityProvider(aws.sts);
  const iam = new SdkIamAccess(new SdkIamGateway(aws.iam), identity, aws.sts, config.crossAccount);
  const delivery = slackDeliveryClient(config.slack.botToken, config.slack.apiUrl, logger);
  const slackNotifier = new SlackNotifier(client, config.rules, delivery);
  // Usergroup lookups through their own fast-failing client, cached briefly: a slow or rate-limited Slack refuses
  // clicks quickly instead of holding them (and everything queued behind them).
  const approvers = new SlackApproverDirectory(
    approverLookupClient(config.slack.botToken, config.slack.apiUrl),
    config.approvers,
    { clock, logger },
  );
  // Home tabs are published through the delivery client too: a 429 comes back at once and the publisher waits.
  const homes = new HomePublisher(
    delivery,
    new HomeQueries(store, approvers, config.rules, clock),
    (request) => slackNotifier.cardLink(request),
    logger,
  );
  const notifier = new HomeRefreshingNotifier(slackNotifier, homes);
  const service = new AccessService({
    store,
    iam,
    identity,
    notifier,
    approvers,
    clock,
    logger,
    allowedRolePatterns: config.allowedRolePatterns,
    accessRules: config.rules,
    awsRegion: env.AWS_REGION,
    grantDurations: { defaultSeconds: config.defaultGrantSeconds, maxSeconds: config.maxGrantSeconds },
    leaseMs: config.applyLeaseSeconds * 1000,
    crossAccountRoleName: config.crossAccount?.roleName,
    pendingTtlSeconds: config.pendingTtlSeconds,
    requestRateLimit: config.requestRateLimit,
  });
  const revocations = new RevocationService({
    store,
    iam,
    approvers,
    clock,
    logger,
    report: service.report,
    remover: service.remover,
    leaseMs: config.applyLeaseSeconds * 1000,
    alertApproversEvery: config.revokeAlertEvery,
  });
  const scheduler = new LifecycleScheduler({
    store,
    clock,
    logger,
    report: service.report,
    revocations,
    pendingTtlSeconds: config.pendingTtlSeconds,
    remindAfterSeconds: config.remindAfterSeconds,
    breakGlassReviewSeconds: config.breakGlassReviewSeconds,
    resumables: [service.applier, revocations],
  });
  try {
    await checkOwnIdentities(config, identity, logger);
  } catch (error) {
    await store.close();
    aws.destroy();
    throw error;
  }
  const queries = new AccessQueries(store, approvers, identity, config.rules);
  registerListeners(slack.app, {
    service,
    revocations,
    queries,
    notifier,
    store,
    clock,
    logger,
    home: homes,
    commandName: config.slack.command,
  });
  slack.app.error(async (error) => logger.error('unhandled Slack listener error', { error }));

  let port: number;
  try {
    port = await slack.start();
  } catch (error) {
    if (error instanceof SlackStartError) logger.error(error.message, { hint: error.hint });
    await store.close();
    aws.destroy();
    throw error;
  }
  ready = true;
  service.outbox.start();
  // Catch up at once on what was interrupted or came due while the bot was down, then keep looking.
  scheduler.tick().catch((error: unknown) => logger.error('scheduler pass failed', { error }));
  scheduler.start(options.schedulerIntervalMs ?? 30_000);
  logger.info('cases-access started', {
    mode: config.slack.appToken ? 'socket' : 'http',
    port,
    approvalChannel: config.approvalChannelId,
    database: config.databaseUrl.split(':')[0],
  });
  let stopping: Promise<void> | undefined;
  return {
    port,
    logger,
    runScheduledWork: () => scheduler.tick(),
    slackSettled: () => service.report.idle(),
    stop() {
      stopping ??= (async () => {
        ready = false;
        await scheduler.stop();
        // Messages already queued for Slack go out before the process ends, within a bound; the rest wait in the
        // outbox for the next start (or another replica).
        await service.report.idle(5_000);
        await service.outbox.stop();
        await homes.stop();
        await slack
          .stop()
          .catch((error: unknown) => logger.warn('Slack app did not stop cleanly', { error }));
        aws.destroy();
        await store.close();
        logger.info('cases-access stopped');
      })();
      return stopping;
    },
  };
}

/**
 * The bot never writes to the role it runs as: an ALLOWED_ROLES pattern that matches it stops start-up (the same
 * refusal holds per request). Needs STS; when AWS can't be reached now, the per-request guardrail still holds.
 * Also warns when APPLY_LEASE is shorter than the longest AWS call, which fencing relies on.
 */
async function checkOwnIdentities(config: Config, identity: IdentityProvider, logger: Logger): Promise<void> {
  if (config.applyLeaseSeconds * 1000 <= AWS_CALL_BOUND_MS)
    logger.warn(
      'APPLY_LEASE is shorter than the longest AWS call (timeouts × attempts); keep it above that',
      {
        applyLeaseSeconds: config.applyLeaseSeconds,
        awsCallBoundSeconds: AWS_CALL_BOUND_MS / 1000,
      },
    );
  let caller;
  try {
    caller = await identity.callerIdentity();
  } catch (error) {
    logger.warn(
      'could not ask STS who the bot is; the ALLOWED_ROLES check against its own role waits for requests',
      {
        error,
      },
    );
    return;
  }
  const own = callerRoleName(caller.arn);
  const matching = own ? patternsMatchingRoleName(config.allowedRolePatterns, own, caller.accountId) : [];
  if (matching.length)
    throw new ConfigError(
      matching.map(
        (p) =>
          `ALLOWED_ROLES: "${p}" matches ${own}, the role the bot runs as; narrow the pattern so the bot can never write to it`,
      ),
    );
}

if (require.main === module) {
  // Node ≥ 22 caches compiled modules on disk: a faster start after the first (a no-op where unsupported).
  (nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
  // .env fills what the real environment leaves unset; only for the process itself, never under tests.
  loadDotenv({ quiet: true });
  startBot(process.env).then(
    (bot) => {
      const shutdown = (signal: string) => {
        bot.logger.info('shutting down', { signal });
        void bot.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    },
    (error: unknown) => {
      if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
      // Already logged, as one JSON line.
      else if (!(error instanceof SlackStartError))
        process.stderr.write(`cases-access failed to start: ${messageOf(error)}\n`);
      process.exit(1);
    },
  );
}
