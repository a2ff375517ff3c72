import net from 'node:net';

interface Pending {
  chunk: Buffer;
  due: number;
}

/** One direction of a proxied connection: delays and holds chunks, keeps their order. */
class Lane {
  readonly #queue: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly proxy: TcpProxy,
    private readonly to: net.Socket,
  ) {}

  push(chunk: Buffer): void {
    this.#queue.push({ chunk, due: Date.now() + this.proxy.latencyMs });
    this.pump();
  }

  /** Send every chunk that is due, unless the proxy is stalled. */
  pump(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.proxy.stalled) return;
    const now = Date.now();
    while (this.#queue.length > 0 && this.#queue[0]!.due <= now) {
      if (!this.to.destroyed) this.to.write(this.#queue.shift()!.chunk);
      else this.#queue.shift();
    }
    const next = this.#queue[0];
    if (next !== undefined) this.#timer = setTimeout(() => this.pump(), next.due - now);
  }

  /** Make everything queued due now (the latency is over). */
  release(): void {
    for (const pending of this.#queue) pending.due = 0;
    this.pump();
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#queue.length = 0;
  }
}

/**
 * A TCP proxy on 127.0.0.1 in front of a real server, for fault injection: it can refuse
 * connections (`down`), cut the open ones, stall them (hold every byte), add latency to every
 * chunk, and restore normal service.
 */
export class TcpProxy {
  latencyMs = 0;
  stalled = false;
  #down = false;
  readonly #server: net.Server;
  readonly #connections = new Set<{ client: net.Socket; upstream: net.Socket; lanes: Lane[] }>();

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    this.#server = net.createServer((client) => this.#accept(client));
  }

  /** Start listening; resolves with the port. */
  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return (this.#server.address() as net.AddressInfo).port;
  }

  /** Refuse new connections (closing them at once) and cut the open ones. */
  down(): void {
    this.#down = true;
    this.cut();
  }

  /** Close every open connection abruptly; new ones are accepted (unless down). */
  cut(): void {
    for (const connection of this.#connections) {
      for (const lane of connection.lanes) lane.stop();
      connection.client.destroy();
      connection.upstream.destroy();
    }
    this.#connections.clear();
  }

  /** Hold every byte in both directions until {@link restore}. */
  stall(): void {
    this.stalled = true;
  }

  /** Back to normal: accept connections, no latency, deliver whatever was held. */
  restore(): void {
    this.#down = false;
    this.stalled = false;
    this.latencyMs = 0;
    for (const connection of this.#connections) for (const lane of connection.lanes) lane.release();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: net.Socket): void {
    if (this.#down) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.targetPort, this.targetHost);
    const toUpstream = new Lane(this, upstream);
    const toClient = new Lane(this, client);
    const connection = { client, upstream, lanes: [toUpstream, toClient] };
    this.#connections.add(connection);
    const end = (): void => {
      toUpstream.stop();
      toClient.stop();
      client.destroy();
      upstream.destroy();
      this.#connections.delete(connection);
    };
    client.on('data', (chunk: Buffer) => toUpstream.push(chunk));
    upstream.on('data', (chunk: Buffer) => toClient.push(chunk));
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  }
}
