import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import type { Logger as BoltLogger } from '@slack/bolt';
import type { Config } from '../config';
import type { Logger } from '../log';
import { SLACK_BODY_LIMIT, guardSlackRequests } from './inbound';

/** The Bolt app in HTTP mode (POST /slack/events) or Socket Mode, serving GET /healthz either way. */

/** Where Slack POSTs commands and interactions in HTTP mode. */
const SLACK_ENDPOINT = '/slack/events';

export interface SlackApp {
  app: App;
  /** Resolves once listening (HTTP) or connected (Socket Mode); returns the HTTP port. */
  start(): Promise<number>;
  stop(): Promise<void>;
}

function boltLogger(logger: Logger): BoltLogger {
  const join = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(' ');
  let level = LogLevel.INFO;
  return {
    // Bolt logs every delivery at debug: build that line only when it will be written.
    debug: (...m) => {
      if (logger.enabled('debug')) logger.debug(join(m), { source: 'bolt' });
    },
    info: (...m) => logger.info(join(m), { source: 'bolt' }),
    warn: (...m) => logger.warn(join(m), { source: 'bolt' }),
    error: (...m) => logger.error(join(m), { source: 'bolt' }),
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
  const boltLog = boltLogger(logger);
  const app = new App({
    token: config.slack.botToken,
    logger: boltLog,
    logLevel: LogLevel[config.logLevel.toUpperCase() as keyof typeof LogLevel],
    clientOptions: config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {},
    ...(socketMode
      ? { socketMode: true, appToken: config.slack.appToken }
      : { receiver: httpReceiver(config.slack.signingSecret ?? '', boltLog, healthz, logger) }),
  });
  // Socket Mode has no HTTP listener of Bolt's that reports its errors: /healthz gets its own small server.
  let healthServer: Server | undefined;

  return {
    app,
    async start() {
      if (!socketMode) {
        const server = (await app.start(config.port)) as Server;
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
      try {
        await app.start();
      } catch (error) {
        server.close();
        throw error;
      }
      return (server.address() as AddressInfo).port;
    },
    async stop() {
      await app.stop();
      if (healthServer) {
        const server = healthServer;
        await new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
      }
    },
  };
}
