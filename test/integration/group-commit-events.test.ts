import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { GroupCommit } from '../../src/db/group-commit.ts';
import { EventOutbox } from '../../src/events/event-outbox.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-db.ts';

/**
 * A group-commit batch's events are held by the outbox and written in one multi-row INSERT before
 * the batch commits, on the lane's database (SQLite or MariaDB): every event is there with its
 * deliveries, a delivery never precedes its event, and a batch that fails leaves each job to
 * commit or fail alone as it would have unbatched.
 */
describe('GroupCommit with the event outbox as a batch participant', () => {
  let database: TestDatabase;
  let db: Knex;
  let outbox: EventOutbox;
  let commits: GroupCommit;

  before(async () => {
    database = await createTestDatabase();
    db = database.db;
    outbox = new EventOutbox(db, systemClock);
    commits = new GroupCommit(db, [outbox]);
    // acc_hooked has an endpoint subscribed to message.sent; acc_quiet has none.
    await db('webhook_endpoints').insert({
      id: 'wh_gc_1',
      account_id: 'acc_hooked',
      destination_url: 'http://127.0.0.1:9/hook',
      events: JSON.stringify(['message.sent']),
      secret: 's',
      created_at: 1,
      updated_at: 1,
    });
  });

  after(async () => {
    await database.destroy();
  });

  const sent = (accountId: string, n: number) =>
    ({
      type: 'message.sent',
      accountId,
      instanceId: 'inst_gc',
      instanceName: 'gc',
      messageId: `wa_${n}`,
      payload: { n },
    }) as unknown as Parameters<EventOutbox['emit']>[1];

  it('writes every event of a batch, deliveries after their event', async () => {
    let eventInserts = 0;
    const count = (q: { sql: string }) => {
      if (/^insert into `events`/i.test(q.sql)) eventInserts += 1;
    };
    db.on('query', count);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, n) =>
        commits.transaction((trx) => outbox.emit(trx, sent(n % 5 === 0 ? 'acc_hooked' : 'acc_quiet', n))),
      ),
    );
    db.off('query', count);
    // Batched: the quiet account's events share INSERTs; each hooked one flushes before its deliveries.
    assert.ok(eventInserts <= 8 + 2, `${eventInserts} event INSERTs for 40 events`);
    const ids = results.map((r) => r.eventId);
    const rows = await db('events').whereIn('id', ids).select('id', 'account_id', 'envelope');
    assert.equal(rows.length, 40);
    for (const row of rows) {
      const n = (JSON.parse(String(row.envelope)) as { payload: { n: number } }).payload.n;
      assert.equal(row.id, ids[n]);
      assert.equal(row.account_id, n % 5 === 0 ? 'acc_hooked' : 'acc_quiet');
    }
    assert.deepEqual(
      results.map((r) => r.deliveries),
      results.map((_, n) => (n % 5 === 0 ? 1 : 0)),
    );
    const deliveries = await db('webhook_deliveries').whereIn('event_id', ids).count({ n: '*' });
    assert.equal(Number(deliveries[0]?.n), 8);
  });

  it('a job that fails fails alone: the batch is rolled back and the others commit one by one', async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, n) =>
        commits.transaction(async (trx) => {
          const r = await outbox.emit(trx, sent('acc_quiet', 100 + n));
          if (n === 3) throw new Error('job 3 refuses');
          return r.eventId;
        }),
      ),
    );
    const ok = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    assert.equal(ok.length, 9);
    assert.equal(outcomes[3]?.status, 'rejected');
    const rows = await db('events').whereIn('id', ok).count({ n: '*' });
    assert.equal(Number(rows[0]?.n), 9);
    const refused = await db('events').where('envelope', 'like', '%"n":103%').count({ n: '*' });
    assert.equal(Number(refused[0]?.n), 0);
  });

  it('outside a batch, emit writes its event at once', async () => {
    const { eventId } = await db.transaction((trx) => outbox.emit(trx, sent('acc_quiet', 200)));
    assert.ok(await db('events').where({ id: eventId }).first());
  });
});
