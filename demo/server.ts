import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve } from 'node:path';
import { AsSlack } from './as-slack';
import type { ButtonClick } from './as-slack';
import { newLedger } from './ledger';
import { slackView } from './slack-view';
import { ALLOWED_ROLES, DEMO_ACCOUNT, DEMO_CHANNEL, PEOPLE, startWorld } from './world';
import type { DemoWorld } from './world';

/** The demo's web page and its small JSON API: the state to draw, and what people do. */

export interface Demo {
  url: string;
  world: DemoWorld;
  close(): Promise<void>;
}

// demo/static beside the sources: found from demo/ (ts under jest) and from dist-demo/demo/ (compiled).
const STATIC_DIR = [join(__dirname, 'static'), resolve(__dirname, '../../demo/static')].find((d) =>
  existsSync(join(d, 'index.html')),
);
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};
const MAX_BODY = 64 * 1024;

class BadRequest extends Error {}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new BadRequest('body too large');
    chunks.push(chunk as Buffer);
  }
  const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as unknown;
  if (typeof parsed !== 'object' || parsed === null) throw new BadRequest('expected a JSON object');
  return parsed as Record<string, unknown>;
}

function field(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  if (typeof v !== 'string') throw new BadRequest(`missing ${name}`);
  return v;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function rolesOf(world: DemoWorld) {
  return world.roleArns.map((arn) => {
    const state = world.iam.role(arn);
    return {
      arn,
      inline: [...(state?.inline ?? [])].map(([name, document]) => ({ name, document })),
      attached: [...(state?.attached ?? [])],
    };
  });
}

export async function startDemo(opts: {
  host: string;
  port: number;
  logLine?: (line: string) => void;
}): Promise<Demo> {
  if (STATIC_DIR === undefined) throw new Error('demo/static/index.html not found');
  const world = await startWorld({ logLine: opts.logLine });
  const ledger = newLedger();
  const asSlack = new AsSlack(world, ledger);
  const person = (body: Record<string, unknown>): string => {
    const id = field(body, 'user');
    if (!PEOPLE.some((p) => p.id === id)) throw new BadRequest(`unknown person ${id}`);
    return id;
  };

  const api: Record<string, (body: Record<string, unknown>) => Promise<unknown>> = {
    async command(body) {
      return { status: await asSlack.command(person(body), field(body, 'text')) };
    },
    async click(body) {
      const click: ButtonClick = {
        channel: field(body, 'channel'),
        ts: field(body, 'ts'),
        actionId: field(body, 'actionId'),
        blockId: field(body, 'blockId'),
        value: field(body, 'value'),
      };
      return { status: await asSlack.click(person(body), click) };
    },
    async submit(body) {
      const user = person(body);
      const key = Number(body.key);
      const dialog = slackView(world.slack, ledger).dialogs.find((d) => d.key === key && d.user === user);
      if (!dialog) throw new BadRequest('no such open dialog');
      const values = body.values;
      if (typeof values !== 'object' || values === null) throw new BadRequest('missing values');
      return { errors: await asSlack.submit(user, key, dialog.view, values as never) };
    },
    async closeDialog(body) {
      asSlack.close(Number(body.key));
      return {};
    },
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const work = (async () => {
      if (req.method === 'GET' && path === '/api/state') {
        // Let the bot's Slack messages for what was just done land before drawing.
        await world.bot.slackSettled();
        return sendJson(res, 200, {
          people: PEOPLE,
          channel: DEMO_CHANNEL,
          account: DEMO_ACCOUNT,
          allowedRoles: ALLOWED_ROLES,
          slack: slackView(world.slack, ledger),
          roles: rolesOf(world),
        });
      }
      const action = /^\/api\/(\w+)$/.exec(path)?.[1];
      if (req.method === 'POST' && action !== undefined && Object.hasOwn(api, action)) {
        const result = await api[action]!(await readJson(req));
        await world.bot.slackSettled();
        return sendJson(res, 200, result);
      }
      const file = path === '/' ? 'index.html' : path.slice(1);
      if (req.method === 'GET' && /^[\w-]+\.(html|js|css)$/.test(file)) {
        const full = join(STATIC_DIR, file);
        if (existsSync(full)) {
          res.writeHead(200, { 'content-type': TYPES[extname(file)]!, 'cache-control': 'no-store' });
          return void res.end(readFileSync(full));
        }
      }
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    })();
    work.catch((error: unknown) => {
      const status = error instanceof BadRequest || error instanceof SyntaxError ? 400 : 500;
      if (!res.headersSent) sendJson(res, status, { error: (error as Error).message });
      else res.end();
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}/`,
    world,
    async close() {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await world.close();
    },
  };
}
