import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { SendTrends } from '../../src/sending/send-trends.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-db.ts';

/**
 * Trend counting on the lane's database (SQLite or MariaDB): bucket placement at the edges, the
 * outcome split, refusals by code, the failure rate without excluded reasons, the opt-out rate,
 * and the account / instance filters.
 */
describe('SendTrends (message log → buckets)', () => {
  let database: TestDatabase;
  let db: Knex;
  const H = 3_600_000;
  const now = Date.parse('2026-05-08T10:30:00Z');
  let seq = 0;

  const msg = (at: number, row: Partial<Record<string, unknown>> = {}) => ({
    account_id: 'acc_a',
    instance_id: 'inst_1',
    recipient: `+62812345${String(seq++).padStart(4, '0')}`,
    status: 'sent',
    outcome: 'allowed',
    created_at: at,
    updated_at: at,
    ...row,
  });

  before(async () => {
    database = await createTestDatabase();
    db = database.db;
    const hourStart = Date.parse('2026-05-08T10:00:00Z');
    const first = hourStart - 23 * H; // the 24 h window starts at 11:00 the day before
    await db('messages').insert([
      msg(first - 1), // one millisecond too old: outside
      msg(first), // first bucket
      msg(hourStart, { status: 'delivered', recipient: '+6281200000001' }),
      msg(hourStart + 1000, { status: 'read', recipient: '+6281200000001' }), // same recipient
      msg(hourStart + 2000, { status: 'failed', error_code: 'gateway_send_failed', failure_reason: 'timeout' }),
      msg(hourStart + 3000, { status: 'failed', error_code: 'gateway_send_failed', failure_reason: 'instance_not_connected' }),
      msg(hourStart + 4000, { status: 'blocked', outcome: 'blocked', error_code: 'policy_violation' }),
      msg(hourStart + 5000, { status: 'blocked', outcome: 'blocked', error_code: 'policy_violation' }),
      msg(hourStart + 6000, { status: 'blocked', outcome: 'blocked', error_code: 'recipient_suppressed' }),
      msg(hourStart + 7000, { account_id: 'acc_b', instance_id: 'inst_2' }),
      msg(hourStart + 8000, { status: 'reserved' }), // in flight: not counted
    ]);
    await db('inbound_messages').insert(
      ['+6281200000001', '+6281200000001', '+6281299999999'].map((from, i) => ({
        account_id: 'acc_a',
        instance_id: 'inst_1',
        wa_message_id: `wa_${i}`,
        from_phone: from,
        chat: from,
        message_type: 'text',
        text: 'STOP',
        payload: '{}',
        classification: 'opt_out',
        received_at: hourStart + 10_000 + i,
        created_at: hourStart + 10_000 + i,
      })),
    );
  });
  after(async () => {
    await database?.destroy();
  });

  it('counts the last 24 h per hour for one instance', async () => {
    const t = await new SendTrends(db).series({ instanceId: 'inst_1' }, '24h', now, {
      excludeFailureReasons: ['instance_not_connected'],
    });
    assert.equal(t.buckets.length, 24);
    assert.equal(t.since, Date.parse('2026-05-07T11:00:00Z'));
    assert.equal(t.sent[0], 1);
    assert.equal(t.sent[23], 2);
    assert.equal(t.failed[23], 2);
    assert.equal(t.refused[23], 3);
    assert.deepEqual(t.totals, { sent: 3, failed: 2, refused: 3, optOuts: 2 });
    assert.deepEqual(
      [...t.refusalsByCode.entries()].map(([code, v]) => [code, v[23]]).sort(),
      [
        ['policy_violation', 2],
        ['recipient_suppressed', 1],
      ],
    );
    // Failure rate: 1 countable failure (the not-connected one is excluded) / (2 sent + 1).
    assert.equal(t.failureRate[23], 1 / 3);
    assert.equal(t.failureRate[5], null, 'no sends, no rate');
    // Opt-out rate: 2 distinct opt-out senders / 1 distinct recipient sent to → capped at 100%.
    assert.equal(t.optOutRate[23], 1);
    assert.equal(t.optOutRate[0], 0);
  });

  it('filters by account, and buckets 7 d by 6 hours and 30 d by day', async () => {
    const b = await new SendTrends(db).series({ accountId: 'acc_b' }, '7d', now);
    assert.equal(b.buckets.length, 28);
    assert.deepEqual(b.totals, { sent: 1, failed: 0, refused: 0, optOuts: 0 });
    assert.equal(b.sent[27], 1);
    const a = await new SendTrends(db).series({ accountId: 'acc_a' }, '30d', now);
    assert.equal(a.buckets.length, 30);
    assert.equal(a.bucketMs, 24 * H);
    assert.equal(a.sent[29], 2, 'today');
    assert.equal(a.sent[28], 2, 'yesterday, including the row one millisecond before the 24 h window');
    const all = await new SendTrends(db).series({}, '24h', now);
    assert.equal(all.totals.sent, 4);
  });
});
