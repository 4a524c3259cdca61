import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * An HTTP proxy on 127.0.0.1 in front of the fake Slack Web API, for a Slack that is slow: `hold(method)` keeps
 * calls of that method unanswered (the client waits until its own timeout) until `release(method)`. Everything
 * else is forwarded as it came. Point the bot's SLACK_API_URL at `apiUrl`; calls wait until the target is set, which
 * must be before the bot starts (start-up waits for Slack to accept its token; see startHarness's `beforeStart`).
 */
export interface SlackProxy {
  /** `http://127.0.0.1:PORT/api/`. */
  readonly apiUrl: string;
  setTarget(apiUrl: string): void;
  hold(method: string): void;
  /** Answers the held calls of `method` (forwarded now) and stops holding it. */
  release(method: string): void;
  /** Calls of each method held so far. */
  held(method: string): number;
  close(): Promise<void>;
}

export async function startSlackProxy(): Promise<SlackProxy> {
  let setTarget!: (url: string) => void;
  const target = new Promise<string>((resolve) => (setTarget = resolve));
  const holding = new Map<string, Array<() => void>>();
  const heldCount = new Map<string, number>();
  const sockets = new Set<Socket>();

  const forward = async (req: IncomingMessage, res: ServerResponse, method: string, body: Buffer) => {
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'authorization'])
      if (typeof req.headers[name] === 'string') headers[name] = req.headers[name];
    const answer = await fetch(`${await target}${method}`, { method: 'POST', headers, body });
    const out: Record<string, string> = {};
    for (const name of ['content-type', 'retry-after']) {
      const value = answer.headers.get(name);
      if (value !== null) out[name] = value;
    }
    res.writeHead(answer.status, out);
    res.end(Buffer.from(await answer.arrayBuffer()));
  };

  const server = createServer((req, res) => {
    const method = /^\/api\/([\w.]+)$/.exec(new URL(req.url ?? '/', 'http://127.0.0.1').pathname)?.[1];
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (!method) return void res.writeHead(404).end();
      const go = () =>
        void forward(req, res, method, Buffer.concat(chunks)).catch(() => {
          if (!res.headersSent) res.writeHead(502).end();
        });
      const line = holding.get(method);
      if (!line) return go();
      heldCount.set(method, (heldCount.get(method) ?? 0) + 1);
      line.push(go);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    setTarget,
    hold(method) {
      if (!holding.has(method)) holding.set(method, []);
    },
    release(method) {
      const line = holding.get(method) ?? [];
      holding.delete(method);
      for (const go of line) go();
    },
    held(method) {
      return heldCount.get(method) ?? 0;
    },
    async close() {
      holding.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
