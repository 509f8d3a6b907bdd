import http from 'node:http';
import { createApp } from './app.ts';
import { ClusterSettingsError, loadClusterSettings } from './cluster/cluster-settings.ts';
import { ConfigError, loadConfig } from './config/config.ts';
import { loadPolicies, PolicyError } from './config/policies.ts';
import { createContainer } from './container.ts';
import { createDb } from './db/database.ts';
import { migrateLatest } from './db/migrator.ts';
import { firstStartBanner, resolveAdminToken } from './lib/first-start.ts';
import { createRootLogger } from './lib/logger.ts';
import { startBackgroundJobs } from './workers.ts';

/** Shutdown completes within 10 s (SPEC §13): the forced exit comes 2 s before, leaving room for the exit itself. */
const SHUTDOWN_DEADLINE_MS = 8_000;

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
  // Migrations may rewrite large tables: they run on their own connection, without DB_QUERY_TIMEOUT.
  const migrator = createDb(config.databaseUrl, {
    connectTimeoutMs: config.dbConnectTimeoutMs,
    acquireTimeoutMs: config.dbAcquireTimeoutMs,
    queryTimeoutMs: 0,
  });
  const applied = await migrateLatest(migrator).finally(() => migrator.destroy());
  if (applied.length > 0) log.info('migrations applied', { migrations: applied });

  const admin = await resolveAdminToken(container.db, config.adminToken, Date.now());
  container.setAdminToken(admin.token);
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE')
        reject(new Error(`port ${config.port} is already in use (EADDRINUSE): stop the other process or set PORT`));
      else if (error.code === 'EACCES')
        reject(new Error(`port ${config.port} needs privileges this process lacks (EACCES): use a port above 1023`));
      else reject(error);
    });
    server.listen(config.port, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info('listening', { port, transport: config.transport });
  // After listening, so the banner names the real port.
  if (admin.generated) process.stdout.write(firstStartBanner({ token: admin.token, port, transport: config.transport }));
  if (container.cluster) await container.cluster.start(loadClusterSettings(process.env, port));
  else await container.instances.restoreSessions();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    // Whatever the database or a client does, the process is gone within SHUTDOWN_DEADLINE_MS:
    // in-flight requests get most of it, then their connections are cut, then the exit is forced.
    setTimeout(() => server.closeAllConnections(), SHUTDOWN_DEADLINE_MS - 2_000).unref();
    setTimeout(() => {
      log.warn('shutdown deadline reached; exiting without waiting for the database', { signal });
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    // In-flight requests (a send waiting for WhatsApp) may finish; idle keep-alive sockets go now.
    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // Hand this node's instances over before anything else stops (SIGTERM hand-over ≤ 3 s).
    if (container.cluster) await container.cluster.drain().catch((error) => log.warn('drain failed', { error }));
    await drained;
    try {
      await jobs.stop();
      await container.close();
    } catch (error) {
      log.warn('shutdown was not clean', { error });
      process.exit(1);
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error) => {
  process.stderr.write(`Warden failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
