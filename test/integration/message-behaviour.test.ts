import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { MessageLog } from '../../src/sending/message-log.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-db.ts';

/**
 * The risk check's behaviour facts, read in one statement on the lane's database (SQLite or
 * MariaDB): recipients of a skeleton within the window, opt-outs received within it, new
 * recipients within the hour; other instances, skeletons, refusals and older rows do not count.
 */
describe('MessageLog.behaviour (one read for the risk check)', () => {
  let database: TestDatabase;
  let db: Knex;
  let log: MessageLog;
  const now = Date.parse('2026-05-08T10:30:00Z');
  const since = now - 24 * 3_600_000;
  let seq = 0;

  const msg = (row: Partial<Record<string, unknown>>) => ({
    account_id: 'acc_a',
    instance_id: 'inst_1',
    recipient_hash: `h${seq++}`,
    skeleton_hash: 'sk_1',
    status: 'sent',
    outcome: 'allowed',
    new_recipient: false,
    created_at: now - 1000,
    updated_at: now - 1000,
    ...row,
  });
  const optOut = (row: Partial<Record<string, unknown>>) => ({
    account_id: 'acc_a',
    instance_id: 'inst_1',
    wa_message_id: `wa_${seq++}`,
    chat: '+6281200000001',
    message_type: 'text',
    text: 'STOP',
    payload: '{}',
    classification: 'opt_out',
    received_at: now - 1000,
    created_at: now - 1000,
    ...row,
  });

  before(async () => {
    database = await createTestDatabase();
    db = database.db;
    log = new MessageLog(db);
    // Through the log's own insert, which keeps `skeleton_recipients` as the send path does.
    const rows = [
      msg({ recipient_hash: 'r1', new_recipient: true }),
      msg({ recipient_hash: 'r1', created_at: since - 5 }), // r1 again, older: r1 still counts once
      msg({ recipient_hash: 'r2', new_recipient: true, created_at: now - 2 * 3_600_000 }), // new, but not this hour
      msg({ recipient_hash: 'r3', created_at: since - 1 }), // last sent before the window
      msg({ recipient_hash: 'r4', skeleton_hash: 'sk_2', new_recipient: true }), // other skeleton, new this hour
      msg({ recipient_hash: 'r5', instance_id: 'inst_2', new_recipient: true }), // other instance
      msg({ recipient_hash: 'r6', outcome: 'blocked', status: 'blocked', new_recipient: true }), // refused: not new
    ];
    for (const row of rows) await log.insert(db, row);
    await db('inbound_messages').insert([
      optOut({}),
      optOut({ received_at: since }),
      optOut({ received_at: since - 1 }), // too old
      optOut({ classification: 'other' }),
      optOut({ instance_id: 'inst_2' }),
    ]);
  });

  after(async () => {
    await database.destroy();
  });

  it('reads skeleton recipients, opt-outs and new recipients of one instance within their windows', async () => {
    const facts = await log.behaviour('inst_1', 'sk_1', since, now - 3_600_000);
    assert.deepEqual([...facts.skeletonRecipients].sort(), ['r1', 'r2', 'r6']);
    assert.equal(facts.optOuts, 2);
    assert.equal(facts.newRecipients, 2, 'r1 and r4');
  });

  it('skips the new-recipient count when the recipient is not new', async () => {
    const facts = await log.behaviour('inst_1', 'sk_1', since, null);
    assert.equal(facts.newRecipients, 0);
    assert.equal(facts.optOuts, 2);
  });

  it('its skeleton recipients are the messages scan\'s, whatever the window', async () => {
    for (const [skeleton, from] of [
      ['sk_1', since],
      ['sk_1', since - 1],
      ['sk_1', since - 5],
      ['sk_1', now - 2 * 3_600_000],
      ['sk_2', since],
    ] as const) {
      const scanned = await db('messages')
        .where({ instance_id: 'inst_1', skeleton_hash: skeleton })
        .andWhere('created_at', '>=', from)
        .distinct('recipient_hash');
      const facts = await log.behaviour('inst_1', skeleton, from, null);
      assert.deepEqual(
        [...facts.skeletonRecipients].sort(),
        scanned.map((r) => String(r.recipient_hash)).sort(),
        `${skeleton} since ${from}`,
      );
    }
  });

  it('a batch written with insertMany keeps one skeleton_recipients row per recipient, its latest send', async () => {
    const ids = await log.insertMany(db, [
      msg({ recipient_hash: 'b1', skeleton_hash: 'sk_batch', created_at: since - 10 }),
      msg({ recipient_hash: 'b1', skeleton_hash: 'sk_batch', created_at: now - 10 }),
      msg({ recipient_hash: 'b2', skeleton_hash: 'sk_batch', created_at: since - 10 }),
      msg({ recipient_hash: 'b3', skeleton_hash: null }),
    ]);
    assert.equal(new Set(ids).size, 4);
    const facts = await log.behaviour('inst_1', 'sk_batch', since, null);
    assert.deepEqual([...facts.skeletonRecipients].sort(), ['b1']);
    const kept = await db('skeleton_recipients').where({ skeleton_hash: 'sk_batch' }).orderBy('recipient_hash');
    assert.deepEqual(
      kept.map((r) => [r.recipient_hash, Number(r.last_at)]),
      [
        ['b1', now - 10],
        ['b2', since - 10],
      ],
    );
  });

  it('insertMany answers each row its own id, rows of different shapes interleaved', async () => {
    const rows = [
      msg({ recipient_hash: 'm1', reference: 'r1' }),
      msg({ recipient_hash: 'm2', reference: undefined }),
      msg({ recipient_hash: 'm3', reference: 'r3' }),
      msg({ recipient_hash: 'm4', reference: undefined }),
      msg({ recipient_hash: 'm5', reference: 'r5' }),
    ];
    const ids = await log.insertMany(db, rows);
    assert.equal(new Set(ids).size, rows.length);
    for (const [i, id] of ids.entries()) {
      const row = await db('messages').where({ id }).first();
      assert.equal(row.recipient_hash, rows[i]?.recipient_hash, `row ${i}`);
    }
  });

  it('new recipients this hour: a recipient new twice counts once, a reservation refused later stops counting', async () => {
    const [first, , refused] = await log.insertMany(db, [
      msg({ instance_id: 'inst_3', recipient_hash: 'n1', new_recipient: true, status: 'failed' }),
      msg({ instance_id: 'inst_3', recipient_hash: 'n1', new_recipient: true, created_at: now - 10 }),
      msg({ instance_id: 'inst_3', recipient_hash: 'n2', new_recipient: true, status: 'reserved' }),
    ]);
    assert.ok(first);
    assert.equal((await log.behaviour('inst_3', 'sk_1', since, now - 3_600_000)).newRecipients, 2);
    await log.update(db, refused as number, { status: 'blocked', outcome: 'blocked' });
    assert.equal((await log.behaviour('inst_3', 'sk_1', since, now - 3_600_000)).newRecipients, 1);
  });

  it('answers zeros for an instance with no history', async () => {
    const facts = await log.behaviour('inst_9', 'sk_1', since, now - 3_600_000);
    assert.deepEqual(facts, { skeletonRecipients: new Set(), optOuts: 0, newRecipients: 0 });
  });
});
