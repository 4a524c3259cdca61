import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, LogLevel } from '@slack/bolt';
import type { CustomRoute, Logger as BoltLogger } from '@slack/bolt';
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
    debug: (...m) => logger.debug(join(m), { source: 'bolt' }),
    info: (...m) => logger.info(join(m), { source: 'bolt' }),
    warn: (...m) => logger.warn(join(m), { source: 'bolt' }),
    error: (...m) => logger.error(join(m), { source: 'bolt' }),
    setLevel: (l) => (level = l),
    getLevel: () => level,
    setName: () => undefined,
  };
}

export function createSlackApp(config: Config, logger: Logger, isHealthy: () => Promise<boolean>): SlackApp {
  const healthz: CustomRoute = {
    path: '/healthz',
    method: ['GET'],
    handler: (_req, res) => {
      void isHealthy().then(
        (ok) => {
          res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ ok }));
        },
        () => {
          res.writeHead(503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ ok: false }));
        },
      );
    },
  };
  const socketMode = Boolean(config.slack.appToken);
  const app = new App({
    token: config.slack.botToken,
    logger: boltLogger(logger),
    logLevel: LogLevel[config.logLevel.toUpperCase() as keyof typeof LogLevel],
    clientOptions: config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {},
    customRoutes: [healthz],
    ...(socketMode
      ? { socketMode: true, appToken: config.slack.appToken, installerOptions: { port: config.port } }
      : { signingSecret: config.slack.signingSecret }),
  });

  return {
    app,
    async start() {
      if (socketMode) {
        await app.start();
        return config.port;
      }
      const server = (await app.start(config.port)) as Server;
      return (server.address() as AddressInfo).port;
    },
    async stop() {
      await app.stop();
    },
  };
}
