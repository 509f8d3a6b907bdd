import type { Knex } from 'knex';

/**
 * The running gateway's admin API, for CLI commands that need a live WhatsApp connection
 * (instance create, qr, destroy). Address: WARDEN_URL, else http://127.0.0.1:$PORT. Credential:
 * ADMIN_TOKEN, else the token stored on first start. The operator's OS user travels in
 * `X-Warden-Actor`, so the audit log names who acted.
 */
export class GatewayClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly actor: string,
  ) {}

  static async connect(opts: { db: Knex; port: number; adminToken: string | null; actor: string }): Promise<GatewayClient> {
    const base = (process.env.WARDEN_URL ?? `http://127.0.0.1:${opts.port}`).replace(/\/+$/, '');
    let token = opts.adminToken;
    if (!token) {
      const row = await opts.db('settings').where({ key: 'admin_token' }).first();
      token = row ? String(row.value) : null;
    }
    if (!token) throw new Error('no admin token: set ADMIN_TOKEN or start the gateway once');
    return new GatewayClient(base, token, opts.actor);
  }

  async call(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<Record<string, unknown>> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${this.token}`,
          'X-Warden-Actor': this.actor,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(45_000),
      });
    } catch (error) {
      throw new Error(
        `the gateway is not reachable at ${this.baseUrl} (${(error as Error).message}); ` +
          'start it (npm start) or set WARDEN_URL: this command needs the running gateway',
      );
    }
    const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok)
      throw new Error(`${String(json.error ?? res.status)}: ${String(json.message ?? res.statusText)}${json.details ? ` ${JSON.stringify(json.details)}` : ''}`);
    return json;
  }
}
