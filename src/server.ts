import http from 'node:http';
import { createApp } from './app.ts';
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
  try {
    config = loadConfig();
    policies = loadPolicies(process.env.POLICIES_DIR ?? './policies');
  } catch (error) {
    if (error instanceof ConfigError || error instanceof PolicyError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  const log = createRootLogger(config.logLevel).child({ module: 'server' });
  const container = await createContainer(config, policies);
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
  log.info('listening', {
    port: typeof address === 'object' && address ? address.port : config.port,
    transport: config.transport,
  });
  await container.instances.restoreSessions();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    server.close();
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
