import assert from 'node:assert/strict';
import { consoleLogin } from '../support/admin-console.ts';
import { createTestContext, type TestContext } from '../support/test-app.ts';
import { currentLane } from '../support/test-db.ts';

/**
 * Visibility of nodes (SPEC §12) when one process owns everything (SQLite, or a container that is
 * not clustered): `/health` names the node, the admin API and the console list it, instances show
 * it as their owner.
 */
describe(`nodes on a single process (${currentLane()})`, () => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await createTestContext({ env: { NODE_ID: 'gw-solo' } });
  });
  afterEach(() => ctx.close());

  it('/health node_id, GET /admin/api/nodes, owner_node, and the console Nodes page', async () => {
    const { key } = await ctx.createAccount();
    const id = await ctx.createConnectedInstance(key, 'Orders');
    const health = await ctx.http.get('/health');
    assert.equal(health.status, 200);
    assert.equal(health.body.node_id, 'gw-solo');
    const nodes = await ctx.admin('get', '/admin/api/nodes');
    assert.equal(nodes.status, 200);
    assert.equal(nodes.body.nodes.length, 1);
    assert.deepEqual(
      { ...nodes.body.nodes[0], last_heartbeat_at: undefined },
      { id: 'gw-solo', url: null, alive: true, draining: false, instances: 1, last_heartbeat_at: undefined },
    );
    const noToken = await ctx.http.get('/admin/api/nodes');
    assert.equal(noToken.status, 401);
    assert.equal(noToken.body.error, 'invalid_admin_token');
    const instance = await ctx.admin('get', `/admin/api/instances/${id}`);
    assert.equal(instance.body.instance.owner_node, 'gw-solo');
    const session = await consoleLogin(ctx.http);
    const page = await session.get('/admin/nodes');
    assert.equal(page.status, 200);
    assert.match(page.text, /<td class="mono">gw-solo<\/td>/);
    assert.match(page.text, /badge green">alive/);
    assert.match(page.text, /aria-current="page">Nodes/);
    // node-to-node routes exist only on clustered nodes
    const internal = await ctx.http.post('/internal/cluster/call').send({});
    assert.equal(internal.status, 404);
  });
});
