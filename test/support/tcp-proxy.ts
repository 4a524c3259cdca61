import net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A small TCP proxy on 127.0.0.1 in front of a server (PostgreSQL at 127.0.0.1:5432 by default), for outage tests:
 * point a client at `port` and `cut()` the link whenever the test wants the server gone.
 *
 * - `cut('refuse')` destroys every open connection and resets each new one at once (the client sees ECONNRESET
 *   straight away, as from a host that refuses connections).
 * - `cut('blackhole')` destroys every open connection and accepts new ones but never forwards them nor answers
 *   (a server behind a dropped route: the client waits until its own timeout).
 * - `restore()` forwards again; connections held in the blackhole are destroyed then (they were never forwarded).
 *
 * Only the proxy's own sockets are touched: the server itself keeps running.
 */

export type CutMode = 'refuse' | 'blackhole';

/** What the proxy did with a connection it accepted. */
export type ConnectionFate = 'forwarded' | 'refused' | 'blackholed';

export interface TcpProxyStats {
  /** Connections open through the proxy now (forwarded pairs, plus any held in the blackhole). */
  open: number;
  /** Every connection the proxy accepted, whatever became of it. */
  accepted: number;
  /** Connections forwarded to the target. */
  forwarded: number;
  /** Connections reset at once while cut in refuse mode. */
  refused: number;
  /** Connections taken into the blackhole while cut in blackhole mode. */
  blackholed: number;
  /** Open connections destroyed by cut(), restore() or close(). */
  destroyed: number;
}

export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  /** `undefined` while forwarding; otherwise how new connections are treated. */
  readonly cutMode: CutMode | undefined;
  /** Connections open through the proxy now. */
  readonly connections: number;
  stats(): TcpProxyStats;
  /**
   * Resolves with what became of the next connection accepted from now on, once the proxy has dealt with it (a
   * refused one is reset already): a test can act between two connections, e.g. restore() right after one refusal.
   */
  nextConnection(): Promise<ConnectionFate>;
  /** Destroys every open connection; new ones are refused (default) or blackholed until restore(). */
  cut(mode?: CutMode): void;
  /** Forwards new connections again. */
  restore(): void;
  /** Stops listening and destroys every connection. Idempotent. */
  close(): Promise<void>;
}

export interface TcpProxyOptions {
  targetHost?: string;
  targetPort?: number;
  /** Port to listen on (default: any free one). */
  port?: number;
}

export async function startTcpProxy(opts: TcpProxyOptions = {}): Promise<TcpProxy> {
  const targetHost = opts.targetHost ?? '127.0.0.1';
  const targetPort = opts.targetPort ?? 5432;
  let mode: CutMode | undefined;
  /** Forwarded pairs: client side → server side. */
  const pairs = new Map<net.Socket, net.Socket>();
  const held = new Set<net.Socket>();
  const stats = { accepted: 0, forwarded: 0, refused: 0, blackholed: 0, destroyed: 0 };
  let waiters: Array<(fate: ConnectionFate) => void> = [];
  const dealtWith = (fate: ConnectionFate) => {
    const waiting = waiters;
    waiters = [];
    for (const resolve of waiting) resolve(fate);
  };

  const server = net.createServer((client) => {
    stats.accepted += 1;
    // A reset or a half-open peer must never crash the test process.
    client.on('error', () => undefined);
    if (mode === 'refuse') {
      stats.refused += 1;
      client.resetAndDestroy();
      dealtWith('refused');
      return;
    }
    if (mode === 'blackhole') {
      stats.blackholed += 1;
      held.add(client);
      client.on('close', () => held.delete(client));
      // Read and drop whatever the client sends (so it never blocks on a full buffer); never answer.
      client.on('data', () => undefined);
      dealtWith('blackholed');
      return;
    }
    stats.forwarded += 1;
    const upstream = net.connect({ host: targetHost, port: targetPort });
    upstream.on('error', () => undefined);
    pairs.set(client, upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      if (!pairs.delete(client)) return;
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    dealtWith('forwarded');
  });

  const destroyForwarded = () => {
    for (const [client, upstream] of [...pairs]) {
      pairs.delete(client);
      stats.destroyed += 1;
      // A reset rather than a clean FIN: the link broke, the server did not say goodbye.
      client.resetAndDestroy();
      upstream.destroy();
    }
  };
  const destroyHeld = () => {
    for (const client of [...held]) {
      held.delete(client);
      stats.destroyed += 1;
      client.resetAndDestroy();
    }
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;

  return {
    host: '127.0.0.1',
    port,
    get cutMode() {
      return mode;
    },
    get connections() {
      return pairs.size + held.size;
    },
    stats: () => ({ open: pairs.size + held.size, ...stats }),
    nextConnection: () => new Promise<ConnectionFate>((resolve) => waiters.push(resolve)),
    cut(how: CutMode = 'refuse') {
      mode = how;
      destroyForwarded();
      // Held connections stay held if the mode stays blackhole; a switch to refuse resets them too.
      if (how === 'refuse') destroyHeld();
    },
    restore() {
      mode = undefined;
      destroyHeld();
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        mode = 'refuse';
        server.close(() => resolve());
        destroyForwarded();
        destroyHeld();
      });
      return closed;
    },
  };
}
