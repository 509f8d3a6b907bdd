import type { Express } from 'express';
import supertest from 'supertest';
import { createApp, type RouterFactory } from '../../src/app.ts';
import { contractChecked } from './response-contract.ts';
import { type Config, loadConfig } from '../../src/config/config.ts';
import { loadPolicies, type Policies } from '../../src/config/policies.ts';
import { type Container, createContainer, type ContainerOverrides } from '../../src/container.ts';
import { type Clock, ManualClock } from '../../src/lib/clock.ts';
import { SandboxTransport } from '../../src/transport/sandbox/sandbox-transport.ts';
import type { Transport } from '../../src/transport/transport.ts';
import { createTestDatabase, type TestDatabase } from './test-db.ts';

process.env.WARDEN_TEST = '1';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export type HttpMethod = 'get' | 'post' | 'patch' | 'delete';

export interface TestContext {
  container: Container;
  app: Express;
  http: ReturnType<typeof supertest>;
  database: TestDatabase;
  clock: Clock;
  transport: Transport;
  sandbox: SandboxTransport | null;
  /** A request as `credential` (an API key or the admin token); a body is sent as JSON. */
  request: (credential: string, method: HttpMethod, path: string, body?: unknown) => supertest.Test;
  admin: (method: HttpMethod, path: string, body?: unknown) => supertest.Test;
  /** Account + API key (+ optional connected sandbox instance) in one call. */
  createAccount: (
    input?: Partial<{
      name: string;
      plan: string;
      modules: string[];
      timezone: string;
      plan_active: boolean;
    }>,
  ) => Promise<{ id: string; key: string }>;
  createConnectedInstance: (key: string, name?: string) => Promise<string>;
  close: () => Promise<void>;
}

export interface TestContextOptions {
  env?: Record<string, string>;
  clock?: Clock;
  transport?: Transport;
  /** Adjust the loaded policies (e.g. raise throttles for a concurrency test). */
  policies?: (p: Policies) => Policies;
  overrides?: ContainerOverrides;
  routers?: RouterFactory[];
  database?: TestDatabase;
}

export function testConfig(url: string, env: Record<string, string> = {}): Readonly<Config> {
  return loadConfig({
    DATABASE_URL: url,
    TRANSPORT: 'sandbox',
    ADMIN_TOKEN,
    WEBHOOK_ALLOWED_CIDRS: '127.0.0.0/8',
    WEBHOOK_RETRY_SCHEDULE: '1s,2s,3s',
    MEDIA_DIR: `${process.env.TMPDIR ?? '/tmp'}/warden-test-media`,
    LOG_LEVEL: 'error',
    ...env,
  });
}

let shipped: Readonly<Policies> | undefined;

/** The shipped policies (read once per process: the models are megabytes), optionally adjusted on a copy. */
export function testPolicies(adjust?: (p: Policies) => Policies): Readonly<Policies> {
  shipped ??= loadPolicies('./policies');
  if (!adjust) return shipped;
  // Models are compiled code, not data: share them, clone the rest.
  const { models, ...data } = shipped;
  return adjust({ ...(structuredClone(data) as Omit<Policies, 'models'>), models });
}

export async function createTestContext(options: TestContextOptions = {}): Promise<TestContext> {
  const database = options.database ?? (await createTestDatabase());
  const clock = options.clock ?? new ManualClock(new Date());
  const transport = options.transport ?? new SandboxTransport({ clock, receiptDelayMs: 20 });
  const config = testConfig(database.url, options.env);
  const container = await createContainer(config, testPolicies(options.policies), {
    db: database.db,
    clock,
    transport,
    ...options.overrides,
  });
  container.setAdminToken(ADMIN_TOKEN);
  const app = createApp(container, options.routers ?? []);
  // Every response is held against the OpenAPI document (test/support/response-contract.ts).
  const http = supertest(contractChecked(app));
  const request: TestContext['request'] = (credential, method, path, body) => {
    const req = http[method](path).set('Authorization', `Bearer ${credential}`);
    return body === undefined ? req : req.set('Content-Type', 'application/json').send(JSON.stringify(body));
  };
  const admin: TestContext['admin'] = (method, path, body) => request(ADMIN_TOKEN, method, path, body);
  const ctx: TestContext = {
    container,
    app,
    http,
    database,
    clock,
    transport,
    sandbox: transport instanceof SandboxTransport ? transport : null,
    request,
    admin,
    async createAccount(input = {}) {
      const res = await admin('post', '/admin/api/accounts', { name: 'Acme', plan: 'starter', ...input });
      if (res.status !== 201)
        throw new Error(`account create failed: ${res.status} ${JSON.stringify(res.body)}`);
      const keyRes = await admin('post', `/admin/api/accounts/${res.body.id}/api-keys`, { name: 'test' });
      if (keyRes.status !== 201)
        throw new Error(`key create failed: ${keyRes.status} ${JSON.stringify(keyRes.body)}`);
      return { id: res.body.id as string, key: keyRes.body.key as string };
    },
    async createConnectedInstance(key, name = `Line ${Math.random().toString(36).slice(2, 8)}`) {
      const res = await http.post('/api/instances').set('Authorization', `Bearer ${key}`).send({ name });
      if (res.status !== 201)
        throw new Error(`instance create failed: ${res.status} ${JSON.stringify(res.body)}`);
      const id = res.body.instance.id as string;
      const scan = await http.post(`/api/instances/${id}/sandbox/scan`).set('Authorization', `Bearer ${key}`);
      if (scan.status !== 200) throw new Error(`scan failed: ${scan.status} ${JSON.stringify(scan.body)}`);
      return id;
    },
    async close() {
      await container.close();
      if (!options.database) await database.destroy();
    },
  };
  return ctx;
}

/** A policy adjustment that stops throttles and behaviour rules from interfering with a test. */
export function generousThrottles(p: Policies): Policies {
  p.throttle.per_instance = { points: 100_000, duration_seconds: 60 };
  p.throttle.per_recipient = { points: 100_000, duration_seconds: 3600 };
  p.throttle.new_recipients = { points: 100_000, duration_seconds: 3600 };
  return p;
}
