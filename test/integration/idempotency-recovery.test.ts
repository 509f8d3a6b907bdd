import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ManualClock } from '../../src/lib/clock.ts';
import { dayKey, monthKey } from '../../src/lib/time-windows.ts';
import { SandboxTransport } from '../../src/transport/sandbox/sandbox-transport.ts';
import type { SendRequest, SendResult } from '../../src/transport/transport.ts';
import { reclaimStaleReservations } from '../../src/workers.ts';
import { createTestContext, generousThrottles, type TestContext } from '../support/test-app.ts';
import { currentLane } from '../support/test-db.ts';

/** A sandbox whose next send waits until the test lets it finish (a slow WhatsApp). */
class HeldSandbox extends SandboxTransport {
  private gate: { release: () => void; started: () => void } | null = null;
  hold(): { started: Promise<void>; release: () => void } {
    let release!: () => void;
    let started!: () => void;
    const startedP = new Promise<void>((r) => (started = r));
    const released = new Promise<void>((r) => (release = r));
    this.gate = { release: () => release(), started: () => started() };
    this.pending = released;
    return { started: startedP, release: () => release() };
  }
  private pending: Promise<void> | null = null;
  override async send(request: SendRequest): Promise<SendResult> {
    const gate = this.gate;
    const pending = this.pending;
    this.gate = null;
    this.pending = null;
    if (gate && pending) {
      gate.started();
      await pending;
    }
    return super.send(request);
  }
}

/**
 * After a crash (simulated here with the rows a killed process leaves; with a real SIGKILL in
 * idempotency-crash.test.ts) an Idempotency-Key retry gets the recorded outcome or is evaluated
 * afresh once the send's deadline (SEND_DEADLINE = 45 s by default) has passed, and quota held
 * by interrupted sends is returned by then.
 */
describe(`Idempotency-Key and quota after a crash (${currentLane()})`, () => {
  let ctx: TestContext;
  let clock: ManualClock;
  let sandbox: HeldSandbox;
  let key: string;
  let accountId: string;
  let instanceId: string;

  beforeEach(async () => {
    clock = new ManualClock('2026-05-08T10:00:00Z');
    sandbox = new HeldSandbox({ clock, receiptDelayMs: 20 });
    ctx = await createTestContext({ clock, transport: sandbox, policies: generousThrottles });
    ({ id: accountId, key } = await ctx.createAccount({ plan: 'starter' }));
    instanceId = await ctx.createConnectedInstance(key);
  });
  afterEach(() => ctx.close());

  const body = (n: number) =>
    JSON.stringify({
      instance_id: instanceId,
      phone: '+6281234567890',
      message: `Your order #${n} has shipped.`,
      message_purpose: 'transactional',
    });
  const hash = (b: string) => createHash('sha256').update(b).digest('hex');
  const send = (idemKey: string, b: string) =>
    ctx.http
      .post('/api/send-message')
      .set('Authorization', `Bearer ${key}`)
      .set('Content-Type', 'application/json')
      .set('Idempotency-Key', idemKey)
      .send(b);
  const quota = async () => (await ctx.http.get('/api/quota').set('Authorization', `Bearer ${key}`)).body;
  const sentRows = async () =>
    Number((await ctx.container.db('messages').whereNotNull('wa_message_id').count({ n: '*' }).first())?.n);

  /** What a process killed after claiming the key and reserving quota leaves behind. */
  async function interruptedSend(idemKey: string, b: string, reserve: boolean): Promise<number | null> {
    await ctx.container.idempotency.begin(accountId, idemKey, hash(b));
    if (!reserve) return null;
    const at = clock.now();
    const keys = { dayKey: dayKey(at, 'UTC'), monthKey: monthKey(at, 'UTC') };
    await ctx.container.quota.prepare(accountId, { ...keys, dailyLimit: 100, monthlyLimit: 2000 });
    return ctx.container.db.transaction(async (trx) => {
      const logId = await ctx.container.messages.insert(trx, {
        account_id: accountId,
        instance_id: instanceId,
        recipient: '+6281234567890',
        status: 'reserved',
        outcome: 'allowed',
        day_key: keys.dayKey,
        month_key: keys.monthKey,
        quota_held: true,
        source: 'api',
        created_at: at.getTime(),
        updated_at: at.getTime(),
      });
      await ctx.container.idempotency.link(trx, accountId, idemKey, logId);
      await ctx.container.quota.reserve(trx, accountId, { ...keys, dailyLimit: 100, monthlyLimit: 2000 });
      return logId;
    });
  }

  it('a claim with no send behind it answers 409 until the deadline, then is evaluated afresh', async () => {
    const b = body(1);
    await interruptedSend('crash-before-reserve', b, false);
    const early = await send('crash-before-reserve', b);
    assert.equal(early.status, 409);
    assert.equal(early.body.error, 'conflict');
    assert.equal(early.body.message, 'A request with this Idempotency-Key is still being processed.');
    assert.equal(early.body.details.reason, 'idempotent_request_in_progress');
    assert.equal(early.headers['retry-after'], '45');
    clock.advance(45_001);
    const fresh = await send('crash-before-reserve', b);
    assert.equal(fresh.status, 200, fresh.text);
    assert.equal(fresh.body.status, 'sent');
    const replay = await send('crash-before-reserve', b);
    assert.deepEqual(replay.body, fresh.body);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.equal(await sentRows(), 1);
    assert.equal((await quota()).daily.used, 1);
  });

  it('an interrupted reservation is returned and the retry sends once: used equals sent', async () => {
    const b = body(2);
    const logId = await interruptedSend('crash-after-reserve', b, true);
    assert.equal((await quota()).daily.used, 1, 'held by the interrupted send');
    clock.advance(45_001);
    const retry = await send('crash-after-reserve', b);
    assert.equal(retry.status, 200, retry.text);
    assert.notEqual(retry.body.log_id, logId);
    const old = await ctx.container.db('messages').where({ id: logId }).first();
    assert.equal(old.status, 'failed');
    assert.equal(old.failure_reason, 'interrupted');
    assert.equal(await sentRows(), 1);
    const q = await quota();
    assert.equal(q.daily.used, 1, 'used equals messages sent');
    assert.equal(q.monthly.used, 1);
  });

  it('a key whose message was sent replays that send (same message_id and log_id)', async () => {
    const b = body(3);
    const logId = (await interruptedSend('crash-after-send', b, true)) as number;
    // The process recorded the send, then died (a pre-upgrade claim: its answer was not stored).
    await ctx.container.db('messages').where({ id: logId }).update({ status: 'sent', wa_message_id: '3EB0AAAAAAAAAAAAAAAAAA', quota_held: false });
    clock.advance(45_001);
    const retry = await send('crash-after-send', b);
    assert.equal(retry.status, 200, retry.text);
    assert.deepEqual(retry.body, { success: true, status: 'sent', message_id: '3EB0AAAAAAAAAAAAAAAAAA', log_id: logId });
    assert.equal(retry.headers['idempotent-replayed'], 'true');
    assert.equal(await sentRows(), 1);
    assert.equal((await quota()).daily.used, 1);
  });

  it('the sweeper returns quota only after the deadline; a burst is not refused for interrupted sends', async () => {
    await ctx.admin('patch', `/admin/api/accounts/${accountId}`, {
      daily_limit_override: 3,
      override_reason: 'test',
      override_approved_by: 'test',
    });
    for (const n of [10, 11, 12]) await interruptedSend(`stuck-${n}`, body(n), true);
    assert.equal((await quota()).daily.used, 3);
    const refused = await send('fresh-1', body(20));
    assert.equal(refused.status, 429, 'inside the deadline the reservations still count');
    assert.equal(refused.body.error, 'daily_message_limit_exceeded');
    clock.advance(45_001);
    // No sweep has run: the refusal path returns the account's expired reservations itself.
    const burst = await Promise.all([21, 22, 23, 24].map((n) => send(`fresh-${n}`, body(n))));
    assert.deepEqual(burst.map((r) => r.status).sort(), [200, 200, 200, 429]);
    assert.equal(await sentRows(), 3);
    assert.equal((await quota()).daily.used, 3);
    assert.equal(await reclaimStaleReservations(ctx.container), 0, 'nothing left to sweep');
  });

  it('a send that finishes after its reservation was returned is counted again', async () => {
    const gate = sandbox.hold();
    const pending = send('slow-send', body(30));
    const response = pending.then((r) => r);
    await gate.started;
    assert.equal((await quota()).daily.used, 1);
    clock.advance(45_001);
    assert.equal(await reclaimStaleReservations(ctx.container), 1);
    assert.equal((await quota()).daily.used, 0, 'returned as interrupted');
    gate.release();
    const res = await response;
    assert.equal(res.status, 200, res.text);
    const row = await ctx.container.db('messages').where({ id: res.body.log_id }).first();
    // The sandbox's delivery receipt may already have moved it on.
    assert.ok(['sent', 'delivered', 'read'].includes(row.status), row.status);
    assert.equal(row.wa_message_id, res.body.message_id);
    assert.equal(row.failure_reason, null);
    assert.equal(await sentRows(), 1);
    assert.equal((await quota()).daily.used, 1, 'used equals messages sent');
    const replay = await send('slow-send', body(30));
    assert.deepEqual(replay.body, res.body);
  });
});
