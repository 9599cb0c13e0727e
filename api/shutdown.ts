import type { Server as HttpServer } from 'node:http';

/**
 * A graceful stop of the HTTP server: stop accepting connections, let the requests in flight
 * finish, close keep-alive connections as soon as they are idle, and after a grace period destroy
 * whatever is left.
 */
export interface GracefulStop {
  /** Resolves `true` when every request finished within `graceMs`, `false` when some had to be cut. */
  stop(graceMs: number): Promise<boolean>;
}

/** Must be called before the server answers its first request: it watches every response. */
export function gracefulStop(server: HttpServer): GracefulStop {
  let stopping = false;
  const closeIdle = () => setImmediate(() => server.closeIdleConnections());

  // Prepended, so it runs before the router can answer (and send the headers).
  server.prependListener('request', (_req, res) => {
    // A request that arrives on a kept-alive connection during the stop is served, then the connection closes.
    if (stopping) res.setHeader('Connection', 'close');
    // A connection that was busy when the stop began is closed once its answer is out.
    res.once('finish', () => {
      if (stopping) closeIdle();
    });
  });

  let stopped: Promise<boolean> | undefined;
  return {
    stop(graceMs) {
      return (stopped ??= new Promise<boolean>((resolve) => {
        stopping = true;
        const timer = setTimeout(() => {
          server.closeAllConnections();
          resolve(false);
        }, graceMs);
        server.close(() => {
          clearTimeout(timer);
          resolve(true);
        });
        server.closeIdleConnections();
      }));
    },
  };
}
