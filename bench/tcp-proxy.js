// A TCP proxy on 127.0.0.1 in front of a real server, for the outage benchmark (bench/outage.js):
// `down()` cuts every open connection and refuses new ones, as a database that went away does;
// `restore()` accepts connections again. Plain JavaScript, so that the benchmark needs no
// TypeScript at run time (the tests' proxy, test/helpers/tcp-proxy.ts, also delays and stalls).
import net from 'node:net';

export class TcpProxy {
  #down = false;
  /** Open pairs of [client, upstream] sockets. */
  #pairs = new Set();
  #server;

  /**
   * @param {string} host the real server's host
   * @param {number} port the real server's port
   */
  constructor(host, port) {
    this.host = host;
    this.port = port;
    this.#server = net.createServer((client) => this.#accept(client));
  }

  /** Listen on a free loopback port; resolves with it. */
  async listen() {
    await new Promise((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return this.#server.address().port;
  }

  /** Cut the open connections and refuse new ones until {@link restore}. */
  down() {
    this.#down = true;
    for (const [client, upstream] of this.#pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.#pairs.clear();
  }

  restore() {
    this.#down = false;
  }

  async close() {
    this.down();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #accept(client) {
    if (this.#down) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.port, this.host);
    const pair = [client, upstream];
    this.#pairs.add(pair);
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.#pairs.delete(pair);
    };
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  }
}
