import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { systemClock } from '../../src/lib/clock.ts';
import { MessageLog } from '../../src/sending/message-log.ts';
import { SuppressionService } from '../../src/suppression/suppression-service.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-db.ts';

/**
 * The send path's one read about a recipient, on the lane's database (SQLite or MariaDB): the
 * suppression that applies (gateway-wide first, other accounts' ignored) and whether the instance
 * reached the recipient before (allowed sends only, in flight or on).
 */
describe('SuppressionService.findWithHistory (suppression and contact history in one read)', () => {
  let database: TestDatabase;
  let db: Knex;
  let suppressions: SuppressionService;
  let messages: MessageLog;

  const suppression = (scope: string, phone: string, reason: string) => ({
    id: `sup_${scope}_${phone}`.slice(0, 40),
    scope,
    phone,
    reason,
    created_at: 1,
  });
  const message = (recipientHash: string, status: string, outcome = 'allowed') => ({
    account_id: 'acc_a',
    instance_id: 'inst_1',
    recipient_hash: recipientHash,
    status,
    outcome,
    created_at: 1,
    updated_at: 1,
  });

  before(async () => {
    database = await createTestDatabase();
    db = database.db;
    messages = new MessageLog(db);
    suppressions = new SuppressionService(db, systemClock, messages);
    await db('suppressions').insert([
      suppression('acc_a', '+6281200000001', 'customer_blocked'),
      suppression('*', '+6281200000001', 'admin_blocked'),
      suppression('acc_a', '+6281200000002', 'recipient_requested_stop'),
      suppression('acc_b', '+6281200000003', 'customer_blocked'),
    ]);
    await db('messages').insert([
      message('h_sent', 'delivered'),
      message('h_reserved', 'reserved'),
      message('h_blocked', 'blocked', 'blocked'),
      message('h_failed', 'failed'),
    ]);
  });

  after(async () => {
    await database.destroy();
  });

  const facts = (phone: string, hash: string) =>
    suppressions.findWithHistory('acc_a', phone, { instanceId: 'inst_1', recipientHash: hash });

  it('gives the gateway-wide block first, with the contact history', async () => {
    const f = await facts('+6281200000001', 'h_sent');
    assert.equal(f.suppression?.scope, '*');
    assert.equal(f.suppression?.reason, 'admin_blocked');
    assert.equal(f.hasHistory, true);
  });

  it("gives the account's own entry, and ignores another account's", async () => {
    const own = await facts('+6281200000002', 'h_reserved');
    assert.equal(own.suppression?.reason, 'recipient_requested_stop');
    assert.equal(own.hasHistory, true, 'a send in flight counts');
    const other = await facts('+6281200000003', 'h_none');
    assert.equal(other.suppression, null);
    assert.equal(other.hasHistory, false);
  });

  it('counts only allowed sends as history, and agrees with find and hasContacted', async () => {
    for (const hash of ['h_sent', 'h_reserved', 'h_blocked', 'h_failed', 'h_none']) {
      const f = await facts('+6281299999999', hash);
      assert.equal(f.suppression, null);
      assert.equal(f.hasHistory, await messages.hasContacted('inst_1', hash), hash);
    }
    for (const phone of ['+6281200000001', '+6281200000002', '+6281200000003']) {
      assert.deepEqual((await facts(phone, 'h_none')).suppression, await suppressions.find('acc_a', phone));
    }
  });
});
