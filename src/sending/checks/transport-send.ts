import type { Transact } from '../../db/transactions.ts';
import { GatewaySendFailedError } from '../../errors/errors.ts';
import { moduleLogger } from '../../lib/logger.ts';
import { TransportSendError } from '../../transport/transport.ts';
import type { SendCheck, SendCommand, SendDeps, SendState } from '../send-context.ts';

const log = moduleLogger('sender');

/** The payload of `message.sent` / `message.failed` (their schemas check the result's type). */
function messagePayload<const E extends object>(command: SendCommand, state: SendState, extra: E) {
  const { recipient, logId } = state;
  if (recipient === undefined || logId === undefined) throw new Error('the transport step runs after the recipient and the log row');
  return {
    direction: 'outbound' as const,
    from: state.instance?.phone ?? null,
    to: recipient,
    chat: recipient,
    message_type: command.media?.type ?? ('text' as const),
    text: command.message ?? null,
    // validated by the purpose checks before this step
    purpose: command.purpose as string,
    is_group: Boolean(state.isGroup),
    reference: command.reference ?? null,
    log_id: logId,
    source: command.source,
    // Outbound media are not stored (only inbound media get a media_path).
    ...(command.media
      ? {
          media_mime_type: command.media.mimeType,
          media_size: command.media.data.length,
          media_filename: command.media.fileName ?? null,
        }
      : {}),
    ...extra,
  };
}

/**
 * Step 16: hand the message to the transport. An instance that is not connected fails here with
 * `gateway_send_failed` (never silently queued). Success and failure are written together with
 * their `message.sent` / `message.failed` event; a failure gives the quota back.
 */
export const transportSend: SendCheck = {
  name: 'transport',
  async run(command, state, deps) {
    const instance = state.instance;
    if (!instance) return;
    const now = () => deps.clock.now().getTime();
    let waMessageId: string;
    try {
      if (!deps.transport.isConnected(instance.id))
        throw new TransportSendError('The instance is not connected.', 'instance_not_connected');
      const result = await deps.transport.send({
        instanceId: instance.id,
        to: state.recipient as string,
        text: command.message ?? '',
        media: command.media,
      });
      waMessageId = result.messageId;
    } catch (error) {
      const reason = error instanceof TransportSendError ? error.reason : 'transport_error';
      if (!(error instanceof TransportSendError))
        log.warn('transport threw', { instance_id: instance.id, error });
      await fail(command, state, deps, reason, now());
      const retryAfter = error instanceof TransportSendError ? error.retryAfterSeconds : undefined;
      if (retryAfter === undefined) throw new GatewaySendFailedError({ reason });
      const refusal = new GatewaySendFailedError({ reason, retry_after: retryAfter });
      refusal.headers['Retry-After'] = String(retryAfter);
      throw refusal;
    }
    state.waMessageId = waMessageId;
    const flagged = state.risk?.action === 'review';
    // With the other sends' outcomes when some are waiting for the same commit.
    const commit: Transact = deps.outcomes ? (work) => deps.outcomes!.transaction(work) : deps.transact;
    const deliveries = await commit(async (trx) => {
      const logId = state.logId as number;
      const patch = {
        status: 'sent',
        wa_message_id: waMessageId,
        error_code: null,
        failure_reason: null,
        risk_score: state.risk?.score ?? null,
        risk_rules: state.risk ? JSON.stringify(state.risk.rules) : null,
        flagged,
        quota_held: false,
        updated_at: now(),
      };
      if ((await deps.messages.updateIf(trx, logId, 'reserved', patch)) === 0) {
        // WhatsApp answered after the send's deadline and the reservation had been given back
        // as interrupted: the message was sent after all, so it is counted again.
        if (state.quota?.held) await deps.quota.recount(trx, command.account.id, state.quota);
        log.warn('send finished after its deadline; counted again', { instance_id: instance.id, log_id: logId });
        await deps.messages.update(trx, logId, patch);
      }
      if (command.idempotencyKey)
        await deps.idempotency?.completeSent(trx, command.account.id, command.idempotencyKey, logId, waMessageId);
      const r = await deps.outbox.emit(trx, {
        type: 'message.sent',
        accountId: command.account.id,
        instanceId: instance.id,
        instanceName: instance.name,
        messageId: waMessageId,
        payload: messagePayload(command, state, { message_id: waMessageId, status: 'sent' }),
      });
      return r.deliveries;
    });
    if (deliveries > 0) deps.outbox.notify();
  },
};

async function fail(
  command: SendCommand,
  state: SendState,
  deps: SendDeps,
  reason: string,
  now: number,
): Promise<void> {
  const instance = state.instance;
  if (!instance || state.logId === undefined) return;
  const deliveries = await deps.transact(async (trx) => {
    if (state.quota?.held) await deps.quota.release(trx, command.account.id, state.quota);
    await deps.messages.update(trx, state.logId as number, {
      status: 'failed',
      outcome: 'allowed',
      deciding_check: 'transport',
      error_code: 'gateway_send_failed',
      failure_reason: reason,
      risk_score: state.risk?.score ?? null,
      risk_rules: state.risk ? JSON.stringify(state.risk.rules) : null,
      quota_held: false,
      updated_at: now,
    });
    const r = await deps.outbox.emit(trx, {
      type: 'message.failed',
      accountId: command.account.id,
      instanceId: instance.id,
      instanceName: instance.name,
      payload: messagePayload(command, state, {
        message_id: null,
        status: 'failed',
        error: 'gateway_send_failed',
        reason,
      }),
    });
    return r.deliveries;
  });
  state.finalized = true;
  if (state.quota) state.quota.held = false;
  if (deliveries > 0) deps.outbox.notify();
}
