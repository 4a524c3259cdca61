import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, LogLevel } from '@slack/bolt';
import type { Logger as BoltLogger } from '@slack/bolt';
import type { Config } from '../config';
import type { Logger } from '../log';

/** The Bolt app in HTTP mode (POST /slack/events) or Socket Mode, serving GET /healthz either way. */

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
  const app = new App({
    token: config.slack.botToken,
    logger: boltLogger(logger),
    logLevel: LogLevel[config.logLevel.toUpperCase() as keyof typeof LogLevel],
    clientOptions: config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {},
    ...(socketMode
      ? { socketMode: true, appToken: config.slack.appToken }
      : {
          signingSecret: config.slack.signingSecret,
          customRoutes: [{ path: '/healthz', method: ['GET'], handler: healthz }],
        }),
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
