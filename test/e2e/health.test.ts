import assert from 'node:assert/strict';
import { createTestContext, type TestContext } from '../support/test-app.ts';

describe('GET / and /health', () => {
  let ctx: TestContext;
  afterEach(() => ctx?.close().catch(() => {}));

  it('reports ok with the transport, and sandbox mode loudly', async () => {
    ctx = await createTestContext();
    for (const path of ['/', '/health']) {
      const res = await ctx.http.get(path);
      assert.equal(res.status, 200);
      assert.equal(res.body.status, 'ok');
      assert.equal(res.body.transport, 'sandbox');
      assert.match(res.body.sandbox, /SANDBOX MODE/);
      assert.equal(res.body.checks.database, 'ok');
    }
  });

  it('answers 503 when the database is unreachable', async () => {
    ctx = await createTestContext();
    await ctx.database.db.destroy();
    const res = await ctx.http.get('/health');
    assert.equal(res.status, 503);
    assert.equal(res.body.checks.database, 'unreachable');
  });
});
