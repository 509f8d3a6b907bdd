import assert from 'node:assert/strict';
import { AccountService } from '../../src/accounts/account-service.ts';
import { FakeAccountStore, makeAccount } from '../../src/accounts/account-store.fake.ts';
import type { Account } from '../../src/accounts/account-store.ts';
import { loadPolicies, type ThrottlePolicy } from '../../src/config/policies.ts';
import { inMemoryTransactOver } from '../../src/db/transactions.ts';
import { ApiError } from '../../src/errors/api-error.ts';
import { FakeEventOutbox } from '../../src/events/event-outbox.fake.ts';
import { FakeInstanceStore, makeInstance } from '../../src/instances/instance-store.fake.ts';
import { ManualClock } from '../../src/lib/clock.ts';
import { SEND_CHECKS } from '../../src/sending/checks/index.ts';
import { FakeIdempotencyStore } from '../../src/sending/idempotency-store.fake.ts';
import { FakeMessageLog } from '../../src/sending/message-log.fake.ts';
import { FakeQuotaLedger } from '../../src/sending/quota-ledger.fake.ts';
import { ReservationBatcher } from '../../src/sending/reservation-batcher.ts';
import { ResponsibleMessageSender } from '../../src/sending/responsible-message-sender.ts';
import { createRiskEngine } from '../../src/sending/risk/risk-engine.ts';
import type { SendCommand, SendDecision, SendDeps } from '../../src/sending/send-context.ts';
import { ThrottleService } from '../../src/sending/throttle-service.ts';
import { FakeSuppressions } from '../../src/suppression/suppression-service.fake.ts';
import { TransportSendError, type SendRequest, type SendResult, type Transport } from '../../src/transport/transport.ts';

const policies = loadPolicies('./policies');
const risk = createRiskEngine(policies.risk, policies.models);
const PHONE = '+6281234567890';
const SPAM = 'FLASH SALE!!! 70% OFF today only, buy now at bit.ly/xyz — limited offer, click here!';
const TODAY = { dayKey: '2026-05-08', monthKey: '2026-05' };

/** A transport that records what it was asked to send; `connected` and `failWith` steer it. */
class RecordingTransport implements Pick<Transport, 'send' | 'isConnected'> {
  readonly sent: SendRequest[] = [];
  connected = true;
  failWith: Error | null = null;

  isConnected(): boolean {
    return this.connected;
  }

  async send(request: SendRequest): Promise<SendResult> {
    if (this.failWith) throw this.failWith;
    this.sent.push(request);
    return { messageId: `wamid_${this.sent.length}` };
  }
}

/** The real sender and its real checks, on in-memory stores: no database anywhere. */
function setup(options: { account?: Partial<Account>; throttle?: Partial<ThrottlePolicy>; batched?: boolean } = {}) {
  const clock = new ManualClock('2026-05-08T10:00:00Z');
  const messages = new FakeMessageLog();
  const quota = new FakeQuotaLedger();
  const outbox = new FakeEventOutbox();
  const idempotency = new FakeIdempotencyStore();
  const instances = new FakeInstanceStore();
  const suppressions = new FakeSuppressions(messages);
  const transport = new RecordingTransport();
  const transact = inMemoryTransactOver([messages, quota, outbox, idempotency]);
  const decisions: SendDecision[] = [];
  const deps: SendDeps = {
    transact,
    clock,
    policies,
    accounts: new AccountService(new FakeAccountStore(), policies.plans, clock),
    instances,
    suppressions,
    quota,
    throttle: new ThrottleService({ ...policies.throttle, ...options.throttle }, { kind: 'memory' }),
    risk,
    messages,
    transport,
    outbox,
    idempotency,
    ...(options.batched ? { reservations: new ReservationBatcher({ transact, messages, quota, idempotency }) } : {}),
    onDecision: (decision) => {
      decisions.push(decision);
    },
  };
  const account = makeAccount({ id: 'acc_1', plan: 'starter', ...options.account });
  instances.add(makeInstance({ id: 'ins_1', accountId: 'acc_1', phone: '+6281100000000' }));
  instances.add(makeInstance({ id: 'ins_other', accountId: 'acc_2' }));
  const sender = new ResponsibleMessageSender(deps);
  const send = (command: Partial<SendCommand> = {}) =>
    sender.send({
      account,
      instanceId: 'ins_1',
      phone: PHONE,
      message: 'Your order #1234 has shipped and arrives tomorrow.',
      purpose: 'transactional',
      source: 'api',
      module: 'api',
      ...command,
    });
  const used = () => quota.used('acc_1', TODAY);
  return { clock, messages, quota, outbox, idempotency, instances, suppressions, transport, decisions, send, used };
}

async function refused(attempt: Promise<unknown>): Promise<ApiError> {
  try {
    await attempt;
  } catch (error) {
    assert.ok(error instanceof ApiError, `an ApiError, not ${String(error)}`);
    return error;
  }
  assert.fail('the send was accepted');
}

/** A paused instance, a suppressed recipient, a full quota…: each condition a refusal needs. */
type Setup = ReturnType<typeof setup>;
const pause = (t: Setup) => t.instances.update('ins_1', { paused: true, pause_reason: 'opt_outs', updated_at: 0 });
const suppress = (t: Setup) => void t.suppressions.add('acc_1', PHONE, 'recipient_requested_stop');

describe('send pipeline (unit, the real sender on in-memory stores)', () => {
  it('runs the checks in the documented order (SPEC §3.2, steps 5–16)', () => {
    assert.deepEqual(
      SEND_CHECKS.map((c) => c.name),
      [
        'module_enabled',
        'active_plan',
        'instance_owned',
        'recipient_valid',
        'purpose_present',
        'purpose_allowed',
        'not_paused',
        'not_suppressed',
        'quota',
        'throttle',
        'risk',
        'transport',
      ],
    );
  });

  it('accepts a send: answers the message id, writes the sent row, counts quota, emits message.sent', async () => {
    const t = setup();
    const result = await t.send();
    assert.deepEqual(result, { success: true, status: 'sent', message_id: 'wamid_1', log_id: result.log_id });
    assert.deepEqual(t.transport.sent.map((s) => [s.instanceId, s.to]), [['ins_1', PHONE]]);
    const row = await t.messages.get(result.log_id);
    assert.equal(row?.status, 'sent');
    assert.equal(row?.outcome, 'allowed');
    assert.equal(row?.decidingCheck, null);
    assert.equal(row?.waMessageId, 'wamid_1');
    assert.equal(row?.quotaHeld, false);
    assert.deepEqual(await t.used(), { daily: 1, monthly: 1 });
    assert.deepEqual(t.outbox.events.map((e) => e.type), ['message.sent']);
    const payload = t.outbox.events[0]?.payload as Record<string, unknown>;
    assert.equal(payload.log_id, result.log_id);
    assert.equal(payload.message_id, 'wamid_1');
    assert.equal(payload.to, PHONE);
    assert.equal(t.outbox.notified, 1);
    assert.equal(t.decisions.length, 1);
    assert.equal(t.decisions[0]?.outcome, 'allowed');
    assert.equal(t.decisions[0]?.logId, result.log_id);
  });

  // Each refusal: the public code, status and message (SPEC §3.1), the deciding check on its row.
  const refusals: {
    name: string;
    arrange?: (t: Setup) => unknown;
    account?: Partial<Account>;
    command?: Partial<SendCommand>;
    status: number;
    code: string;
    message: string;
    check: string;
  }[] = [
    {
      name: 'the API module is not enabled',
      account: { modules: ['threecx'] },
      status: 403,
      code: 'module_not_enabled',
      message: 'API access is not enabled for this account.',
      check: 'module_enabled',
    },
    {
      name: 'the plan is not active',
      account: { planActive: false },
      status: 403,
      code: 'active_plan_required',
      message: 'An active plan is required before sending messages.',
      check: 'active_plan',
    },
    {
      name: "the instance is another account's",
      command: { instanceId: 'ins_other' },
      status: 404,
      code: 'invalid_instance',
      message: 'The requested instance was not found for this API key.',
      check: 'instance_owned',
    },
    {
      name: 'the phone is not a number',
      command: { phone: 'not-a-phone' },
      status: 422,
      code: 'validation_error',
      message: 'The request payload is missing required fields.',
      check: 'recipient_valid',
    },
    {
      name: 'the purpose is missing',
      command: { purpose: '' },
      status: 422,
      code: 'message_purpose_required',
      message:
        'message_purpose is required. Allowed values are transactional, operational, support, internal_team, and authentication.',
      check: 'purpose_present',
    },
    {
      name: 'the purpose is marketing',
      command: { purpose: 'marketing' },
      status: 422,
      code: 'message_purpose_not_allowed',
      message: 'WA Gateway does not support marketing, cold outreach, political, or bulk campaign messaging.',
      check: 'purpose_allowed',
    },
    {
      name: 'the instance is paused for review',
      arrange: pause,
      status: 423,
      code: 'instance_paused_for_review',
      message: 'This instance has been paused for responsible messaging review',
      check: 'not_paused',
    },
    {
      name: 'the recipient opted out',
      arrange: suppress,
      status: 403,
      code: 'recipient_suppressed',
      message: 'This recipient has opted out or has been blocked from non-essential messages.',
      check: 'not_suppressed',
    },
    {
      name: 'the message is marketing content',
      command: { message: SPAM },
      status: 403,
      code: 'policy_violation',
      message:
        'This message appears to violate WA Gateway responsible messaging rules. Bulk marketing, spam, and cold outreach are not allowed.',
      check: 'risk',
    },
  ];
  for (const r of refusals) {
    it(`refuses when ${r.name}: ${r.status} ${r.code}, a blocked row, no quota, one decision`, async () => {
      const t = setup({ account: r.account ?? {} });
      await r.arrange?.(t);
      const error = await refused(t.send(r.command));
      assert.deepEqual([error.status, error.code, error.message], [r.status, r.code, r.message]);
      assert.equal(t.transport.sent.length, 0);
      const rows = t.messages.all();
      assert.equal(rows.length, 1);
      assert.deepEqual([rows[0]?.status, rows[0]?.outcome, rows[0]?.decidingCheck, rows[0]?.errorCode], ['blocked', 'blocked', r.check, r.code]);
      assert.deepEqual(await t.used(), { daily: 0, monthly: 0 });
      assert.deepEqual(t.outbox.events, []);
      assert.deepEqual(t.decisions.map((d) => [d.outcome, d.check, d.errorCode]), [['blocked', r.check, r.code]]);
    });
  }

  it('the first failing check decides: each refusal wins over every later one', async () => {
    // Every condition at once, then lifted one by one from the front: the answer follows the order.
    const ladder: [string, (t: Setup) => unknown, Partial<Account>, Partial<SendCommand>][] = [
      ['module_not_enabled', () => {}, { modules: [] }, {}],
      ['active_plan_required', () => {}, { planActive: false }, {}],
      ['invalid_instance', () => {}, {}, { instanceId: 'ins_other' }],
      ['validation_error', () => {}, {}, { phone: 'nope' }],
      ['message_purpose_required', () => {}, {}, { purpose: null }],
      ['instance_paused_for_review', pause, {}, {}],
      ['recipient_suppressed', suppress, {}, {}],
      ['daily_message_limit_exceeded', () => {}, { dailyLimitOverride: 0 }, {}],
      ['policy_violation', () => {}, {}, { message: SPAM }],
    ];
    for (let start = 0; start < ladder.length; start += 1) {
      const active = ladder.slice(start);
      const t = setup({ account: Object.assign({}, ...active.map(([, , account]) => account)) });
      for (const [, arrange] of active) await arrange(t);
      const error = await refused(t.send(Object.assign({}, ...active.map(([, , , command]) => command))));
      assert.equal(error.code, active[0]?.[0], `with ${active.map(([code]) => code).join(', ')}`);
    }
  });

  it('a paused instance refuses whatever the recipient, with the pause reason', async () => {
    const t = setup();
    await pause(t);
    const error = await refused(t.send({ phone: '+6281299999999' }));
    assert.equal(error.code, 'instance_paused_for_review');
    assert.deepEqual(error.details, { action: 'review', reason: 'opt_outs' });
  });

  it('a gateway-wide block refuses every account; an opt-out confirmation still goes out, without quota', async () => {
    const t = setup();
    t.suppressions.add('*', PHONE, 'admin_blocked');
    const error = await refused(t.send());
    assert.equal(error.code, 'recipient_suppressed');
    assert.deepEqual(error.details, { action: 'block', reason: 'admin_blocked' });
    const confirmation = await t.send({ source: 'confirmation', quotaExempt: true, message: 'You will receive no more messages.' });
    assert.equal(confirmation.status, 'sent');
    assert.deepEqual(await t.used(), { daily: 0, monthly: 0 });
  });

  it('the daily limit: the send past it is refused 429 with Retry-After until midnight, and rolls its row back', async () => {
    const t = setup({ account: { dailyLimitOverride: 1 } });
    await t.send();
    const error = await refused(t.send({ phone: '+6281234567891' }));
    assert.deepEqual([error.status, error.code], [429, 'daily_message_limit_exceeded']);
    assert.equal(
      error.message,
      'Your daily transactional message limit has been reached. Please try again tomorrow or request a higher reviewed limit.',
    );
    assert.deepEqual(error.details, { action: 'block', limit: 1, used: 1, retry_after: 14 * 3600 });
    assert.equal(error.headers['Retry-After'], String(14 * 3600));
    assert.deepEqual(t.messages.all().map((m) => [m.status, m.decidingCheck]), [['sent', null], ['blocked', 'quota']]);
    assert.deepEqual(await t.used(), { daily: 1, monthly: 1 });
  });

  it('the monthly limit: refused 429 monthly, and the day it had bumped is given back', async () => {
    const t = setup({ account: { monthlyLimitOverride: 1 } });
    await t.send();
    const error = await refused(t.send({ phone: '+6281234567891' }));
    assert.deepEqual([error.status, error.code], [429, 'monthly_message_limit_exceeded']);
    assert.equal(
      error.message,
      'Your monthly fair-use message limit has been reached. Please contact support for a reviewed higher limit.',
    );
    assert.deepEqual(await t.used(), { daily: 1, monthly: 1 });
  });

  it('a throttle refusal after the reservation gives the quota back (429 sending_throttled, Retry-After)', async () => {
    const t = setup({ throttle: { per_recipient: { points: 1, duration_seconds: 3600 } } });
    await t.send();
    const error = await refused(t.send({ message: 'Your order #1235 has shipped.' }));
    assert.deepEqual([error.status, error.code], [429, 'sending_throttled']);
    assert.equal(
      error.message,
      'Sending speed has been temporarily limited to protect gateway reliability and prevent bulk messaging.',
    );
    assert.equal(error.details?.limit, 'recipient');
    assert.ok(Number(error.headers['Retry-After']) > 0);
    const refusedRow = t.messages.all()[1];
    assert.deepEqual([refusedRow?.status, refusedRow?.decidingCheck, refusedRow?.quotaHeld], ['blocked', 'throttle', false]);
    assert.deepEqual(await t.used(), { daily: 1, monthly: 1 });
  });

  it('a transport failure: 502 gateway_send_failed, the quota reserved and returned, message.failed', async () => {
    const t = setup();
    t.transport.failWith = new TransportSendError('logged out', 'session_closed');
    const error = await refused(t.send());
    assert.deepEqual([error.status, error.code], [502, 'gateway_send_failed']);
    assert.equal(
      error.message,
      'The message passed responsible messaging checks, but delivery could not be completed. Please try again or contact support.',
    );
    assert.deepEqual(error.details, { reason: 'session_closed' });
    const [row] = t.messages.all();
    assert.deepEqual(
      [row?.status, row?.outcome, row?.decidingCheck, row?.failureReason, row?.quotaHeld],
      ['failed', 'allowed', 'transport', 'session_closed', false],
    );
    // It was reserved (the row held it), and is given back: no quota for a message not sent.
    assert.equal(row?.dayKey, TODAY.dayKey);
    assert.deepEqual(await t.used(), { daily: 0, monthly: 0 });
    assert.deepEqual(t.outbox.events.map((e) => e.type), ['message.failed']);
    assert.deepEqual(t.decisions.map((d) => [d.outcome, d.check, d.errorCode]), [['allowed', 'transport', 'gateway_send_failed']]);
  });

  it('an instance that is not connected fails at the transport with instance_not_connected, never queued', async () => {
    const t = setup();
    t.transport.connected = false;
    const error = await refused(t.send());
    assert.deepEqual([error.code, error.details?.reason], ['gateway_send_failed', 'instance_not_connected']);
    assert.equal(t.transport.sent.length, 0);
    assert.deepEqual(await t.used(), { daily: 0, monthly: 0 });
  });

  it('a transport that can be retried later answers Retry-After', async () => {
    const t = setup();
    t.transport.failWith = new TransportSendError('failing over', 'instance_moving', 7);
    const error = await refused(t.send());
    assert.deepEqual(error.details, { reason: 'instance_moving', retry_after: 7 });
    assert.equal(error.headers['Retry-After'], '7');
  });

  it('policy_violation names the rules that fired; the row keeps the score', async () => {
    const t = setup();
    const error = await refused(t.send({ message: SPAM }));
    assert.equal(error.code, 'policy_violation');
    const rules = error.details?.rules as string[];
    assert.ok(rules.length > 0, 'the rules that fired');
    assert.equal(t.messages.all()[0]?.riskScore, error.details?.risk_score);
  });

  it('an Idempotency-Key claim is linked to the row and completed with the answer the send gave', async () => {
    const t = setup();
    t.idempotency.claim('acc_1', 'key-1');
    const result = await t.send({ idempotencyKey: 'key-1' });
    const claim = t.idempotency.get('acc_1', 'key-1');
    assert.equal(claim?.logId, result.log_id);
    assert.equal(claim?.state, 'done');
    assert.deepEqual(claim?.response, { ...result });
  });

  it('the group commit reserves on the same ledger: quota exact with the batcher too', async () => {
    const t = setup({ batched: true, account: { dailyLimitOverride: 2 } });
    await t.send();
    await t.send({ phone: '+6281234567891' });
    const error = await refused(t.send({ phone: '+6281234567892' }));
    assert.equal(error.code, 'daily_message_limit_exceeded');
    assert.deepEqual(await t.used(), { daily: 2, monthly: 2 });
    assert.deepEqual(t.messages.all().map((m) => m.status), ['sent', 'sent', 'blocked']);
  });
});
