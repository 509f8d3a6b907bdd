import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { ADMIN_TOKEN } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-db.ts';

/** Start-up failures are one clear line and a non-zero exit, never a stack trace. */
describe('start-up errors', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let blocker: net.Server;
  before(async () => {
    database = await createTestDatabase();
    blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
  });
  after(async () => {
    await new Promise((resolve) => blocker.close(resolve));
    await database.destroy();
  });

  it('a port already in use prints one line naming the port and exits non-zero', async () => {
    const port = (blocker.address() as net.AddressInfo).port;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: {
        ...process.env,
        PORT: String(port),
        DATABASE_URL: database.url,
        TRANSPORT: 'sandbox',
        ADMIN_TOKEN,
        LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.resume();
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, 1);
    const lines = stderr.split('\n').filter((l) => l.trim() !== '' && !l.includes('SANDBOX MODE'));
    assert.deepEqual(lines, [
      `Warden failed to start: port ${port} is already in use (EADDRINUSE): stop the other process or set PORT`,
    ]);
  });
});
