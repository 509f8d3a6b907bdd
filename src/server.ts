import http from 'node:http';
import { createApp } from './app.ts';
import { ClusterSettingsError, loadClusterSettings } from './cluster/cluster-settings.ts';
import { ConfigError, loadConfig } from './config/config.ts';
import { loadPolicies, PolicyError } from './config/policies.ts';
import { createContainer } from './container.ts';
import { migrateLatest } from './db/migrator.ts';
import { firstStartBanner, resolveAdminToken } from './lib/first-start.ts';
import { createRootLogger } from './lib/logger.ts';
import { startBackgroundJobs } from './workers.ts';

/** Entry: config → policies → migrate → container → http + workers → graceful shutdown. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  let policies: ReturnType<typeof loadPolicies>;
  let clustered: boolean;
  try {
    config = loadConfig();
    policies = loadPolicies(process.env.POLICIES_DIR ?? './policies');
    // Several nodes share a MySQL/MariaDB database (SPEC §12); on SQLite one process owns everything.
    clustered = !config.databaseUrl.startsWith('sqlite:') && loadClusterSettings(process.env, config.port).enabled;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof PolicyError || error instanceof ClusterSettingsError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  const log = createRootLogger(config.logLevel).child({ module: 'server' });
  const container = await createContainer(config, policies, { cluster: clustered });
  const applied = await migrateLatest(container.db);
  if (applied.length > 0) log.info('migrations applied', { migrations: applied });

  const admin = await resolveAdminToken(container.db, config.adminToken, Date.now());
  container.setAdminToken(admin.token);
  if (admin.generated)
    process.stdout.write(
      firstStartBanner({ token: admin.token, port: config.port, transport: config.transport }),
    );
  if (!config.adminToken) {
    // `warden admin token` rotates the stored token; every node picks it up within 10 s.
    const reload = setInterval(() => {
      resolveAdminToken(container.db, null, Date.now())
        .then((r) => container.setAdminToken(r.token))
        .catch(() => {});
    }, 10_000);
    reload.unref();
  }
  if (config.transport === 'sandbox')
    log.warn('SANDBOX MODE: messages go to a simulated phone, not to WhatsApp');

  const jobs = startBackgroundJobs(container);
  const app = createApp(container, jobs.routers);
  const server = http.createServer(app);
  server.requestTimeout = 120_000;
  server.headersTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(config.port, resolve));
  const address = server.address();
  log.info('listening', {
    port: typeof address === 'object' && address ? address.port : config.port,
    transport: config.transport,
  });
  const port = typeof address === 'object' && address ? address.port : config.port;
  if (container.cluster) await container.cluster.start(loadClusterSettings(process.env, port));
  else await container.instances.restoreSessions();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    server.close();
    // Hand this node's instances over before anything else stops (SIGTERM hand-over ≤ 3 s).
    if (container.cluster) await container.cluster.drain().catch((error) => log.warn('drain failed', { error }));
    await jobs.stop();
    await container.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error) => {
  process.stderr.write(`Warden failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
