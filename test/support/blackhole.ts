import net from 'node:net';

/**
 * A loopback TCP proxy that can turn into a blackhole: before `blackhole()` it forwards to the
 * target; after it, open connections stop forwarding (bytes are swallowed, nothing answers, no
 * reset) and new connections are accepted and never answered. With no target it is a blackhole
 * from the start. Listens on 127.0.0.1 only.
 */
export class BlackholeProxy {
  private holes = false;
  private readonly sockets = new Set<net.Socket>();
  private readonly pairs: { client: net.Socket; upstream: net.Socket }[] = [];
  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(target?: { host: string; port: number }): Promise<BlackholeProxy> {
    let proxy: BlackholeProxy | null = null;
    const server = net.createServer((client) => {
      const self = proxy as BlackholeProxy;
      self.sockets.add(client);
      client.on('close', () => self.sockets.delete(client));
      client.on('error', () => {});
      if (!target || self.holes) {
        client.resume(); // read and discard, never answer
        return;
      }
      const upstream = net.connect(target.port, target.host);
      self.sockets.add(upstream);
      upstream.on('close', () => self.sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
      self.pairs.push({ client, upstream });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new BlackholeProxy(server, (server.address() as net.AddressInfo).port);
    if (!target) proxy.holes = true;
    return proxy;
  }

  /** From now on nothing answers, on open and new connections alike. */
  blackhole(): void {
    this.holes = true;
    for (const { client, upstream } of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.resume();
      upstream.resume();
    }
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
