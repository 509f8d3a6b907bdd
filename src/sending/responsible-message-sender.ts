import { ApiError } from '../errors/api-error.ts';
import { isDatabaseUnavailable } from '../db/database.ts';
import { GatewaySendFailedError, InternalError, ServiceUnavailableError } from '../errors/errors.ts';
import { moduleLogger } from '../lib/logger.ts';
import { SEND_CHECKS } from './checks/index.ts';
import type { SendCheck, SendCommand, SendDeps, SendState } from './send-context.ts';
import { sentResponse } from './idempotency-store.ts';
import type { SendMessageResponse } from './message-response.schema.ts';
import { recipientHash } from './message-log.ts';

const log = moduleLogger('sender');

/** What a send answers: the `sendMessage` envelope of the OpenAPI document. */
export type SendSuccess = SendMessageResponse;

/**
 * The ResponsibleMessageSender: runs the ordered checks of `checks/index.ts`, stops at the first
 * refusal, records every decision (allowed or refused) in the message log, and gives back any
 * quota or throttle tokens a refused or failed send had reserved.
 */
export class ResponsibleMessageSender {
  constructor(
    private readonly deps: SendDeps,
    private readonly checks: readonly SendCheck[] = SEND_CHECKS,
  ) {}

  async send(command: SendCommand): Promise<SendSuccess> {
    const started = performance.now();
    const state: SendState = {};
    let current: SendCheck | null = null;
    try {
      for (const check of this.checks) {
        current = check;
        await check.run(command, state, this.deps);
      }
    } catch (error) {
      // A database that does not answer cannot record the refusal either: answer 503 at once.
      if (!(error instanceof ApiError) && isDatabaseUnavailable(error)) throw new ServiceUnavailableError();
      const refusal = error instanceof ApiError ? error : new InternalError();
      if (!(error instanceof ApiError)) log.error('send pipeline error', { check: current?.name, error });
      await this.recordRefusal(command, state, current?.name ?? null, refusal, performance.now() - started);
      throw refusal;
    }
    const logId = state.logId as number;
    await this.deps.onDecision?.({
      accountId: command.account.id,
      instanceId: command.instanceId,
      logId,
      outcome: 'allowed',
      check: null,
      errorCode: null,
      riskScore: state.risk?.score ?? null,
      flagged: state.risk?.action === 'review',
      durationMs: performance.now() - started,
    });
    return sentResponse(logId, state.waMessageId as string);
  }

  /** Refusals are decisions too: write (or finish) the row, release what was reserved. */
  private async recordRefusal(
    command: SendCommand,
    state: SendState,
    check: string | null,
    refusal: ApiError,
    durationMs: number,
  ): Promise<void> {
    const { transact, clock, messages, quota, throttle } = this.deps;
    const now = clock.now().getTime();
    if (state.throttle) await throttle.refund(state.throttle);
    const failed = refusal instanceof GatewaySendFailedError;
    const patch = {
      status: failed ? 'failed' : 'blocked',
      outcome: failed ? 'allowed' : 'blocked',
      deciding_check: check,
      error_code: refusal.code,
      risk_score: state.risk?.score ?? null,
      risk_rules: state.risk ? JSON.stringify(state.risk.rules) : null,
      failure_reason: typeof refusal.details?.reason === 'string' ? refusal.details.reason : null,
      quota_held: false,
      updated_at: now,
    };
    try {
      if (!state.finalized)
        await transact(async (trx) => {
          if (state.logId !== undefined) {
            if (state.quota?.held) await quota.release(trx, command.account.id, state.quota);
            await messages.update(trx, state.logId, patch);
          } else {
            state.logId = await messages.insert(trx, {
              ...patch,
              account_id: command.account.id,
              instance_id: state.instance?.id ?? null,
              recipient: state.recipient ?? null,
              recipient_hash: state.recipient ? recipientHash(command.account.id, state.recipient) : null,
              purpose: typeof command.purpose === 'string' ? command.purpose.slice(0, 60) : null,
              text: command.message?.slice(0, 4096) ?? null,
              media_type: command.media?.type ?? null,
              reference: command.reference ?? null,
              source: command.source,
              integration_id: command.integrationId ?? null,
              created_at: now,
            });
          }
        });
    } catch (error) {
      log.error('could not record a refused send', { check, code: refusal.code, error });
    }
    if (state.logId !== undefined) {
      await this.deps.onDecision?.({
        accountId: command.account.id,
        instanceId: state.instance?.id ?? null,
        logId: state.logId,
        outcome: failed ? 'allowed' : 'blocked',
        check,
        errorCode: refusal.code,
        riskScore: state.risk?.score ?? null,
        flagged: false,
        durationMs,
      });
    }
  }
}
