// A lean HTTP/1.1 load driver for the intake bench: keep-alive connections that write requests built before
// the clock starts and read back only the status line and Content-Length. On a 2-core machine the load
// generator shares the cores with the server and Redis; autocannon rebuilds and re-encodes every request
// (about 80 µs of CPU per single-alert request here), which is CPU the server under test never gets. This
// driver spends a few µs. It speaks only what the bench needs: responses with Content-Length, no chunking.
import { connect, type Socket } from 'node:net';

export interface LoadOptions {
  url: string;
  path: string;
  headers: Record<string, string>;
  /** The next request body; called before the clock starts for the pool, then on demand. */
  body: () => Buffer;
  /** Requests to build before the clock starts. */
  prebuild: number;
  connections: number;
  seconds: number;
  /** Requests per second over all connections; unset means as fast as the server answers. */
  rate?: number;
}

export interface LoadResult {
  seconds: number;
  /** CPU this process spent while the clock ran (µs), the pool built before it excluded. */
  cpuUs: number;
  ok: number;
  non2xx: number;
  errors: number;
  /** Latency percentiles in ms, from writing the request to reading the whole response. */
  p50: number;
  p99: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** Reads one response at a time off a keep-alive socket: its status once the whole body has arrived. */
class ResponseReader {
  private pending: Buffer[] = [];
  private size = 0;

  /** Status codes of the responses completed by this chunk. */
  push(chunk: Buffer): number[] {
    this.pending.push(chunk);
    this.size += chunk.length;
    const done: number[] = [];
    for (;;) {
      const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.size);
      const headEnd = data.indexOf(HEADER_END);
      if (headEnd < 0) return this.keep(data, done);
      const head = data.toString('latin1', 0, headEnd);
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (!length) throw new Error('a response without Content-Length: this driver reads only fixed-length responses');
      const end = headEnd + HEADER_END.length + Number(length[1]);
      if (data.length < end) return this.keep(data, done);
      done.push(Number(head.slice(9, 12)));
      const rest = data.subarray(end);
      this.pending = rest.length > 0 ? [rest] : [];
      this.size = rest.length;
      if (rest.length === 0) return done;
    }
  }

  private keep(data: Buffer, done: number[]): number[] {
    this.pending = [data];
    return done;
  }
}

function requestHead(url: URL, path: string, headers: Record<string, string>, length: number): string {
  const lines = [`POST ${path} HTTP/1.1`, `host: ${url.host}`, 'connection: keep-alive', `content-length: ${length}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Drives `connections` keep-alive connections for `seconds`, one request in flight on each. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.url);
  const build = () => {
    const body = options.body();
    return Buffer.concat([Buffer.from(requestHead(url, options.path, options.headers, body.length), 'latin1'), body]);
  };
  const pool = Array.from({ length: options.prebuild }, build);
  pool.reverse(); // pop() takes them in the order they were built
  const next = () => pool.pop() ?? build();

  const sockets = await Promise.all(
    Array.from(
      { length: options.connections },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = connect({ host: url.hostname, port: Number(url.port), noDelay: true }, () => resolve(socket));
          socket.once('error', reject);
        }),
    ),
  );

  const latencies: number[] = [];
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let sent = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const stopAt = start + options.seconds * 1000;
  // At a fixed rate, request n is due at start + n/rate; a free connection waits for the next due slot.
  const dueAt = (n: number) => (options.rate ? start + (n * 1000) / options.rate : 0);

  await Promise.all(
    sockets.map(
      (socket) =>
        new Promise<void>((resolve) => {
          const reader = new ResponseReader();
          let sentAt = 0;
          let finished = false;
          const finish = () => {
            finished = true;
            socket.removeAllListeners('data');
            socket.destroy();
          };
          socket.once('close', () => {
            // The server closed it (or it broke) before the run ended: this connection sends no more.
            if (!finished) errors += 1;
            resolve();
          });
          // A response that never comes must not hang the bench.
          setTimeout(finish, options.seconds * 1000 + 30_000).unref();
          const send = () => {
            const now = performance.now();
            if (now >= stopAt) return finish();
            const due = dueAt(sent);
            if (due > now) {
              setTimeout(send, Math.min(due, stopAt) - now);
              return;
            }
            sent += 1;
            sentAt = now;
            socket.write(next());
          };
          socket.on('data', (chunk: Buffer) => {
            for (const status of reader.push(chunk)) {
              latencies.push(performance.now() - sentAt);
              if (status >= 200 && status < 300) ok += 1;
              else non2xx += 1;
              send();
            }
          });
          socket.on('error', () => undefined); // counted when it closes
          send();
        }),
    ),
  );

  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { seconds, cpuUs: cpu.user + cpu.system, ok, non2xx, errors, p50: pct(0.5), p99: pct(0.99) };
}
