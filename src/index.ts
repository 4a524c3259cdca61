import 'dotenv/config';
import { AccessService } from './access/service';
import { systemClock } from './access/ports';
import type { Clock } from './access/ports';
import { createAwsClients } from './aws/clients';
import { SdkIamGateway } from './aws/iam-gateway';
import { StsIdentityProvider } from './aws/identity';
import { ConfigError, loadConfig, secretsOf } from './config';
import { createLogger } from './log';
import type { Logger } from './log';
import { SlackApproverDirectory } from './slack/approvers';
import { createSlackApp } from './slack/app';
import { registerListeners } from './slack/listeners';
import { SlackNotifier } from './slack/notifier';
import { openStore } from './store';

/** Start-up: config → store → AWS gateways → Slack app → start. */

export interface RunningBot {
  port: number;
  logger: Logger;
  stop(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
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
  const service = new AccessService({
    store,
    iam: new SdkIamGateway(aws.iam),
    identity: new StsIdentityProvider(aws.sts),
    notifier: new SlackNotifier(client, config.approvalChannelId),
    approvers: new SlackApproverDirectory(client, config.approvers),
    clock: options.clock ?? systemClock,
    logger,
    allowedRolePatterns: config.allowedRolePatterns,
    awsRegion: env.AWS_REGION,
  });
  registerListeners(slack.app, { service, store, logger });
  slack.app.error(async (error) => logger.error('unhandled Slack listener error', { error }));

  let port: number;
  try {
    port = await slack.start();
  } catch (error) {
    await store.close();
    aws.destroy();
    throw error;
  }
  ready = true;
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
    stop() {
      stopping ??= (async () => {
        ready = false;
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

if (require.main === module) {
  startBot(process.env).then(
    (bot) => {
      const shutdown = (signal: string) => {
        bot.logger.info('shutting down', { signal });
        void bot.stop().then(() => process.exit(0));
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    },
    (error: unknown) => {
      if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
      else
        process.stderr.write(
          `cases-access failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
        );
      process.exit(1);
    },
  );
}
