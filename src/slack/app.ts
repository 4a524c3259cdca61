import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import type { Logger as BoltLogger } from '@slack/bolt';
import type { Config } from '../config';
import type { Logger } from '../log';
import { SLACK_BODY_LIMIT, guardSlackRequests } from './inbound';
import { checkBotToken, slackStartError } from './startup-check';

/**
 * The Bolt app in HTTP mode (POST /slack/events) or Socket Mode, serving GET /healthz either way. It starts listening
 * first (so /healthz says 503 while Slack is asked), then has Slack check the bot token, and only then takes Slack's
 * requests (HTTP mode) or connects (Socket Mode).
 */

/** Where Slack POSTs commands and interactions in HTTP mode. */
const SLACK_ENDPOINT = '/slack/events';

export interface SlackApp {
  app: App;
  /**
   * Resolves once Slack accepted the bot token and the app listens (HTTP) or is connected (Socket Mode); returns the
   * HTTP port. Rejects with a SlackStartError (one line: the variable Slack rejected, or the host it could not
   * reach) after closing what it opened.
   */
  start(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Bolt's logging in ours. While `starting`, its errors are logged as warnings: start-up itself says at error level
 * why it failed, once (the Socket Mode client also logs a refused app token as an error of its own).
 */
function boltLogger(logger: Logger, starting: () => boolean): BoltLogger {
  const join = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(' ');
  let level = LogLevel.INFO;
  return {
    // Bolt logs every delivery at debug: build that line only when it will be written.
    debug: (...m) => {
      if (logger.enabled('debug')) logger.debug(join(m), { source: 'bolt' });
    },
    info: (...m) => logger.info(join(m), { source: 'bolt' }),
    warn: (...m) => logger.warn(join(m), { source: 'bolt' }),
    error: (...m) => (starting() ? logger.warn : logger.error)(join(m), { source: 'bolt' }),
    setLevel: (l) => (level = l),
    getLevel: () => level,
    setName: () => undefined,
  };
}

/**
 * Bolt's HTTPReceiver (what `signingSecret` alone would build), with the size and signature checks of ./inbound in
 * front of it: a body is read only up to SLACK_BODY_LIMIT and parsed only once its signature is verified.
 */
function httpReceiver(
  signingSecret: string,
  boltLog: BoltLogger,
  healthz: (req: IncomingMessage, res: ServerResponse) => void,
  logger: Logger,
  ready: () => boolean,
): HTTPReceiver {
  const receiver = new HTTPReceiver({
    signingSecret,
    endpoints: [SLACK_ENDPOINT],
    logger: boltLog,
    bodyLimit: SLACK_BODY_LIMIT,
    customRoutes: [{ path: '/healthz', method: ['GET'], handler: healthz }],
  });
  receiver.requestListener = guardSlackRequests(receiver.requestListener, {
    signingSecret,
    endpoints: [SLACK_ENDPOINT],
    // Before Slack accepted the token Bolt has no authorization to run listeners with.
    ready,
    onRefused: ({ status, reason, bytesRead }) =>
      logger.warn('refused a request to the Slack endpoint', { status, reason, bytesRead }),
    onError: (error) =>
      logger.error('the Slack request handler failed', {
        error: error instanceof Error ? error.message : String(error),
      }),
  });
  return receiver;
}

export function createSlackApp(config: Config, logger: Logger, isHealthy: () => Promise<boolean>): SlackApp {
  const healthz = (_req: IncomingMessage, res: ServerResponse): void => {
    void isHealthy()
      .catch(() => false)
      .then((ok) => {
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok }));
      });
  };
  const socketMode = Boolean(config.slack.appToken);
  let starting = false;
  let started = false;
  const boltLog = boltLogger(logger, () => starting);
  const receiver = socketMode
    ? undefined
    : httpReceiver(config.slack.signingSecret ?? '', boltLog, healthz, logger, () => started);
  const app = new App({
    token: config.slack.botToken,
    logger: boltLog,
    logLevel: LogLevel[config.logLevel.toUpperCase() as keyof typeof LogLevel],
    clientOptions: config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {},
    // Otherwise the constructor asks Slack about the token itself, and a refusal is an unhandled rejection.
    deferInitialization: true,
    ...(receiver ? { receiver } : { socketMode: true, appToken: config.slack.appToken }),
  });
  // Socket Mode has no HTTP listener of Bolt's that reports its errors: /healthz gets its own small server.
  let healthServer: Server | undefined;

  const listen = async (): Promise<number> => {
    if (receiver) {
      const server = (await receiver.start(config.port)) as Server;
      return (server.address() as AddressInfo).port;
    }
    const server = createServer((req, res) => {
      if (req.method === 'GET' && req.url?.split('?')[0] === '/healthz') return healthz(req, res);
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, () => resolve());
    });
    healthServer = server;
    return (server.address() as AddressInfo).port;
  };
  const close = async (): Promise<void> => {
    if (receiver) await receiver.stop();
    if (healthServer) {
      const server = healthServer;
      healthServer = undefined;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    }
  };

  return {
    app,
    async start() {
      const port = await listen();
      let asking = 'SLACK_BOT_TOKEN';
      starting = true;
      try {
        await checkBotToken(config.slack.botToken, config.slack.apiUrl, logger);
        // Bolt's own auth.test (the bot's user and bot IDs for its listeners), answered at once now.
        await app.init();
        if (socketMode) {
          asking = 'SLACK_APP_TOKEN';
          await app.start();
        }
      } catch (error) {
        await close().catch(() => undefined);
        throw slackStartError(error, asking, config.slack.apiUrl);
      } finally {
        starting = false;
      }
      started = true;
      return port;
    },
    async stop() {
      started = false;
      if (socketMode) await app.stop();
      await close();
    },
  };
}
