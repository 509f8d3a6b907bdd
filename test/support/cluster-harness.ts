import { ADMIN_TOKEN } from './test-app.ts';
import { type GatewayProcess, policiesDirWith, startGatewayProcess } from './gateway-process.ts';

/**
 * Several real gateway processes on one MariaDB database (SPEC §12), with short lease and
 * heartbeat settings so failover tests run in seconds. Shared by the cluster tests and
 * `npm run bench:failover`.
 */
export const FAST_CLUSTER_ENV = {
  CLUSTER_LEASE: '2500ms',
  CLUSTER_HEARTBEAT: '500ms',
  CLUSTER_FAILOVER_WAIT: '5s',
  CLUSTER_CLAIM_JITTER: '100ms',
};

export interface JsonResponse {
  status: number;
  body: Record<string, unknown> & { error?: string; details?: Record<string, unknown> };
  headers: Headers;
}

export async function call(
  baseUrl: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<JsonResponse> {
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Poll until `check` returns a value (not undefined/false); the elapsed time comes with it. */
export async function waitFor<T>(
  label: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 15_000,
  everyMs = 50,
): Promise<{ value: T; ms: number }> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return { value: v, ms: Date.now() - start };
    } catch (error) {
      last = error;
    }
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function generousPoliciesDir(): string {
  return policiesDirWith((name, data) => {
    if (name !== 'throttle.json') return data;
    return {
      ...data,
      per_instance: { points: 100000, duration_seconds: 60 },
      per_recipient: { points: 100000, duration_seconds: 3600 },
      new_recipients: { points: 100000, duration_seconds: 3600 },
    };
  });
}

export class TestCluster {
  readonly nodes = new Map<string, GatewayProcess>();
  private readonly policiesDir = generousPoliciesDir();

  constructor(
    readonly databaseUrl: string,
    readonly env: Record<string, string> = {},
    readonly preloads: string[] = [],
  ) {}

  async start(nodeId: string, extra: Record<string, string> = {}): Promise<GatewayProcess> {
    const node = await startGatewayProcess(
      {
        DATABASE_URL: this.databaseUrl,
        POLICIES_DIR: this.policiesDir,
        NODE_ID: nodeId,
        ...FAST_CLUSTER_ENV,
        ...this.env,
        ...extra,
      },
      { preloads: this.preloads, startTimeoutMs: 90_000 },
    );
    this.nodes.set(nodeId, node);
    return node;
  }

  node(id: string): GatewayProcess {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /** Nodes whose process runs and is not stopped. */
  running(except: string[] = []): [string, GatewayProcess][] {
    return [...this.nodes].filter(
      ([id, n]) => !except.includes(id) && n.child.exitCode === null && n.child.signalCode === null,
    );
  }

  async account(plan = 'scale'): Promise<{ id: string; key: string }> {
    const base = [...this.nodes.values()][0]?.baseUrl as string;
    const acc = await call(base, 'POST', '/admin/api/accounts', ADMIN_TOKEN, { name: 'Cluster Co', plan });
    if (acc.status !== 201) throw new Error(`account: ${acc.status} ${JSON.stringify(acc.body)}`);
    const key = await call(base, 'POST', `/admin/api/accounts/${String(acc.body.id)}/api-keys`, ADMIN_TOKEN, {
      name: 'cluster',
    });
    if (key.status !== 201) throw new Error(`key: ${key.status} ${JSON.stringify(key.body)}`);
    return { id: String(acc.body.id), key: String(key.body.key) };
  }

  /** Create an instance through one node; `scanVia` scans it (sandbox) through another node. */
  async instance(key: string, name: string, createVia: string, scanVia?: string): Promise<string> {
    const res = await call(this.node(createVia).baseUrl, 'POST', '/api/instances', key, { name });
    if (res.status !== 201) throw new Error(`instance: ${res.status} ${JSON.stringify(res.body)}`);
    const id = String((res.body.instance as { id: string }).id);
    if (scanVia) {
      const scan = await call(this.node(scanVia).baseUrl, 'POST', `/api/instances/${id}/sandbox/scan`, key);
      if (scan.status !== 200) throw new Error(`scan: ${scan.status} ${JSON.stringify(scan.body)}`);
    }
    return id;
  }

  async ownerOf(instanceId: string, via?: string): Promise<string | null> {
    const [, n] = via ? [via, this.node(via)] : (this.running()[0] as [string, GatewayProcess]);
    const res = await call(n.baseUrl, 'GET', `/admin/api/instances/${instanceId}`, ADMIN_TOKEN);
    const instance = res.body.instance as { owner_node?: string | null; state?: string } | undefined;
    return instance?.owner_node ?? null;
  }

  async instanceState(instanceId: string, via: string): Promise<string | undefined> {
    const res = await call(this.node(via).baseUrl, 'GET', `/admin/api/instances/${instanceId}`, ADMIN_TOKEN);
    return (res.body.instance as { state?: string } | undefined)?.state;
  }

  async nodesList(via: string): Promise<{ id: string; alive: boolean; instances: number }[]> {
    const res = await call(this.node(via).baseUrl, 'GET', '/admin/api/nodes', ADMIN_TOKEN);
    return res.body.nodes as { id: string; alive: boolean; instances: number }[];
  }

  send(via: string, key: string, instanceId: string, n: number): Promise<JsonResponse> {
    return call(this.node(via).baseUrl, 'POST', '/api/send-message', key, {
      instance_id: instanceId,
      phone: '+6281234567890',
      message: `Your order #${10_000 + n} has shipped.`,
      message_purpose: 'transactional',
    });
  }

  async stopAll(): Promise<void> {
    for (const n of this.nodes.values()) {
      if (n.child.signalCode === null && n.child.exitCode === null) n.child.kill('SIGCONT');
    }
    await Promise.all([...this.nodes.values()].map((n) => n.stop('SIGKILL')));
  }
}
