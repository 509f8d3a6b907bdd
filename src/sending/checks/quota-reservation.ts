import { createHash } from 'node:crypto';
import { DailyMessageLimitExceededError, MonthlyMessageLimitExceededError } from '../../errors/errors.ts';
import { dayKey, monthKey, nextDayStart, nextMonthStart } from '../../lib/time-windows.ts';
import { retryOnLockConflict } from '../../db/database.ts';
import type { SendCheck } from '../send-context.ts';
import type { QuotaRefusal } from '../quota-ledger.ts';
import { reclaimStaleReservations } from '../reservation-recovery.ts';

class QuotaFull extends Error {
  constructor(readonly window: QuotaRefusal) {
    super(`quota full: ${window}`);
  }
}

/**
 * Steps 12–13: daily, then monthly limit. Both windows are reserved atomically together with the
 * message-log row that holds the reservation, in one transaction; a later refusal or a transport
 * failure gives the reservation back, so `used` always equals messages actually sent.
 */
export const quotaReservation: SendCheck = {
  name: 'quota',
  async run(command, state, deps) {
    const account = command.account;
    const at = deps.clock.now();
    const keys = { dayKey: dayKey(at, account.timezone), monthKey: monthKey(at, account.timezone) };
    const limits = deps.accounts.limitsFor(account);
    const instanceId = state.instance?.id as string;
    state.skeletonHash = createHash('sha256')
      .update(deps.risk.skeleton(command.message ?? ''))
      .digest('hex')
      .slice(0, 32);
    state.isNewRecipient =
      !state.isGroup &&
      !(state.contacted ?? (await deps.messages.hasContacted(instanceId, state.recipientHash as string)));
    const held = !command.quotaExempt;
    const now = at.getTime();
    const window = { ...keys, dailyLimit: limits.daily, monthlyLimit: limits.monthly };
    if (held) await deps.quota.prepare(account.id, window);
    const row = {
      account_id: account.id,
      instance_id: instanceId,
      recipient: state.recipient,
      recipient_hash: state.recipientHash,
      purpose: command.purpose as string,
      text: command.message,
      media_type: command.media?.type ?? null,
      status: 'reserved',
      outcome: 'allowed',
      reference: command.reference ?? null,
      skeleton_hash: state.skeletonHash,
      new_recipient: state.isNewRecipient,
      source: command.source,
      integration_id: command.integrationId ?? null,
      day_key: keys.dayKey,
      month_key: keys.monthKey,
      quota_held: held,
      created_at: now,
      updated_at: now,
    };
    // One by one: the message row first, the contended counter rows last: the counter row locks
    // are then held only for the two UPDATEs and the commit.
    const reserveAlone = () => retryOnLockConflict(
      () =>
        deps.transact(async (trx) => {
          state.logId = await deps.messages.insert(trx, row);
          if (command.idempotencyKey)
            await deps.idempotency?.link(trx, account.id, command.idempotencyKey, state.logId);
          const full = held ? await deps.quota.reserve(trx, account.id, window) : null;
          // A full window rolls the row back with it: the refusal is recorded afresh.
          if (full) throw new QuotaFull(full);
          return null;
        }),
      5,
    ).catch((error) => {
      if (error instanceof QuotaFull) {
        state.logId = undefined;
        return error.window;
      }
      throw error;
    });
    // Group commit with concurrent sends of the account when there is one; alone when the batch
    // did not fit (then the window-by-window reservation admits what is left and names the refusal).
    const reserve = async (): Promise<QuotaRefusal | null> => {
      if (held && deps.reservations) {
        const logId = await deps.reservations.reserve({
          accountId: account.id,
          window,
          row,
          idempotencyKey: command.idempotencyKey,
        });
        if (logId !== null) {
          state.logId = logId;
          return null;
        }
      }
      return reserveAlone();
    };
    let refusal = await reserve();
    // Before refusing, return this account's reservations whose send deadline has passed (a
    // crash interrupted them): a burst after a restart is not refused for sends that never happened.
    // Reserve again even when a concurrent refusal did the reclaiming: its slots are free now.
    if (refusal && held && deps.sendDeadlineMs !== undefined) {
      await reclaimStaleReservations(
        {
          transact: deps.transact,
          clock: deps.clock,
          messages: deps.messages,
          quota: deps.quota,
          sendDeadlineMs: deps.sendDeadlineMs,
        },
        account.id,
      );
      refusal = await reserve();
    }
    if (refusal) {
      const used = await deps.quota.used(account.id, keys);
      if (refusal === 'daily') {
        const retryAfter = Math.ceil((nextDayStart(at, account.timezone).getTime() - now) / 1000);
        const error = new DailyMessageLimitExceededError({
          action: 'block',
          limit: limits.daily,
          used: used.daily,
          retry_after: retryAfter,
        });
        error.headers['Retry-After'] = String(retryAfter);
        throw error;
      }
      const retryAfter = Math.ceil((nextMonthStart(at, account.timezone).getTime() - now) / 1000);
      const error = new MonthlyMessageLimitExceededError({
        action: 'block',
        limit: limits.monthly,
        used: used.monthly,
        retry_after: retryAfter,
      });
      error.headers['Retry-After'] = String(retryAfter);
      throw error;
    }
    state.quota = { ...keys, held };
  },
};
