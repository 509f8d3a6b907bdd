import type { Account, AccountStore } from '../../accounts/account-store.ts';
import type { Policies } from '../../config/policies.ts';
import { ApiError } from '../../errors/api-error.ts';
import {
  CallEventsDisabledError,
  ConversationWindowClosedError,
  InvalidInstanceError,
  MessagePurposeNotAllowedError,
  MissingMessageTextError,
  MissingPhoneError,
  ModuleNotEnabledError,
  OutboundDisabledError,
  ValidationError,
} from '../../errors/errors.ts';
import type { Instance, InstanceStore } from '../../instances/instance-store.ts';
import { type Clock, isoSeconds } from '../../lib/clock.ts';
import { moduleLogger } from '../../lib/logger.ts';
import { normalizePhone } from '../../lib/phone.ts';
import type { SendSuccess } from '../../sending/responsible-message-sender.ts';
import type { SendCommand } from '../../sending/send-context.ts';
import {
  CALL_EVENT_COOLDOWN_MS,
  CALL_EVENT_PURPOSE,
  CALL_PHONE_FIELDS,
  callTimeValue,
  MAX_MESSAGE_LENGTH,
  REPLY_PHONE_FIELDS,
  text,
  THREECX_EVENT_TYPES,
} from './threecx-event-fields.ts';
import { THREECX_MODULE_MESSAGE } from './threecx-service.ts';
import type { ThreeCxEventRecord, ThreeCxIntegration, ThreeCxStore } from './threecx-store.ts';
import { isTemplateEvent, type TemplateEvent, type ThreeCxTemplates } from './threecx-templates.ts';

const log = moduleLogger('threecx');

/** Replies from 3CX into a WhatsApp conversation. */
const REPLY_EVENTS = new Set<string>(['outbound_message', 'inbound_reply']);
/** Call events that are recorded but never send anything. */
const INFORMATIONAL_EVENTS = new Set<string>(['call_started', 'queue_event']);

export interface ThreeCxWebhookDeps {
  store: ThreeCxStore;
  accounts: AccountStore;
  instances: InstanceStore;
  sender: { send(command: SendCommand): Promise<SendSuccess> };
  policies: Readonly<Policies>;
  templates: ThreeCxTemplates;
  clock: Clock;
}

export type ThreeCxResult = Record<string, unknown> & {
  success: true;
  status: string;
};

type Payload = Record<string, unknown>;
type Base = { success: true; event_type: string; integration_id: string };

/** The log line of a recorded event: the row's facts, empty ones left out (an unknown event type shows as null). */
function eventLogFields(row: ThreeCxEventRecord): Record<string, unknown> {
  const { integration_id, account_id, event_type, outcome, error_code, reason, phone, log_id } = row;
  return {
    integration_id,
    account_id,
    event_type,
    outcome,
    error: error_code ?? undefined,
    reason: reason ?? undefined,
    phone: phone ?? undefined,
    log_id: log_id ?? undefined,
  };
}

/**
 * The 3CX webhook's events, once `ThreeCxWebhookGuard` has let the request through. Every send
 * goes through the ResponsibleMessageSender with `source: "threecx"` and the integration id, so
 * purpose, suppression, pause, limits, throttles and risk apply exactly as to the public API.
 */
export class ThreeCxWebhook {
  constructor(private readonly deps: ThreeCxWebhookDeps) {}

  private now(): number {
    return this.deps.clock.now().getTime();
  }

  /** An authenticated event: record what it led to, whatever that was. */
  async handle(
    integration: ThreeCxIntegration,
    body: unknown,
    requestId: string | null,
  ): Promise<ThreeCxResult> {
    const facts: { eventType: string | null; phone: string | null } = {
      eventType: null,
      phone: null,
    };
    const record = async (
      outcome: 'sent' | 'skipped' | 'accepted' | 'refused',
      extra: {
        error?: string | null;
        reason?: string | null;
        logId?: number | null;
      },
    ) => {
      const row: ThreeCxEventRecord = {
        integration_id: integration.id,
        account_id: integration.accountId,
        event_type: facts.eventType,
        outcome,
        error_code: extra.error ?? null,
        reason: extra.reason ?? null,
        phone: facts.phone,
        log_id: extra.logId ?? null,
        request_id: requestId,
        created_at: this.now(),
      };
      try {
        await this.deps.store.recordEvent(row);
      } catch (error) {
        log.error('could not record a 3cx event', { integration_id: integration.id, error });
      }
      log.info('3cx event', eventLogFields(row));
    };
    try {
      const result = await this.process(integration, body, facts);
      await record(result.status === 'sent' ? 'sent' : result.status === 'skipped' ? 'skipped' : 'accepted', {
        reason: typeof result.reason === 'string' ? result.reason : null,
        logId: typeof result.log_id === 'number' ? result.log_id : null,
      });
      return result;
    } catch (error) {
      const code = error instanceof ApiError ? error.code : 'internal_error';
      const reason =
        error instanceof ApiError && typeof error.details?.reason === 'string' ? error.details.reason : null;
      await record('refused', { error: code, reason });
      throw error;
    }
  }

  private async process(
    integration: ThreeCxIntegration,
    body: unknown,
    facts: { eventType: string | null; phone: string | null },
  ): Promise<ThreeCxResult> {
    const account = await this.deps.accounts.get(integration.accountId);
    if (!account?.modules.includes('threecx'))
      throw new ModuleNotEnabledError({ module: 'threecx' }, THREECX_MODULE_MESSAGE);
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new ValidationError({
        errors: [{ field: '/', reason: 'must be a JSON object' }],
      });
    const payload = body as Payload;
    const eventType = payload.event_type ?? payload.event;
    if (typeof eventType !== 'string' || !(THREECX_EVENT_TYPES as readonly string[]).includes(eventType)) {
      throw new ValidationError({
        errors: [
          {
            field: '/event_type',
            reason: `must be one of ${THREECX_EVENT_TYPES.join(', ')}`,
          },
        ],
      });
    }
    facts.eventType = eventType;
    const base: Base = {
      success: true,
      event_type: eventType,
      integration_id: integration.id,
    };

    if (eventType === 'test') return { ...base, status: 'ok', message: '3CX webhook authenticated.' };
    if (REPLY_EVENTS.has(eventType)) return this.reply(integration, account, payload, base, facts);

    if (!integration.callEventsEnabled) throw new CallEventsDisabledError({ event_type: eventType });
    if (INFORMATIONAL_EVENTS.has(eventType))
      return {
        ...base,
        status: 'accepted',
        reason: 'informational_event',
        sent: false,
      };
    if (!isTemplateEvent(eventType)) throw new CallEventsDisabledError({ event_type: eventType });
    if (!integration.enabledCallEvents.includes(eventType))
      throw new CallEventsDisabledError({
        event_type: eventType,
        reason: 'event_not_enabled',
      });
    return this.callEvent(integration, account, eventType, payload, base, facts);
  }

  private async instanceOf(integration: ThreeCxIntegration): Promise<Instance> {
    const instance = await this.deps.instances.getForAccount(integration.accountId, integration.instanceId);
    if (!instance) throw new InvalidInstanceError();
    return instance;
  }

  private phone(
    payload: Payload,
    fields: readonly string[],
    instance: Instance,
    account: Account,
    facts: { phone: string | null },
  ): string {
    for (const field of fields) {
      const value = text(payload[field]);
      if (value === null) continue;
      const normalized = normalizePhone(value, instance.defaultCountry ?? account.defaultCountry);
      if (!normalized) throw new MissingPhoneError({ field, reason: 'invalid_phone' });
      facts.phone = normalized;
      return normalized;
    }
    throw new MissingPhoneError({ reason: 'missing_phone' });
  }

  /** Fail closed: only allowlisted purposes; for replies a missing purpose is refused too (reference/003). */
  private purpose(raw: unknown, fallback: string | null): string {
    const value = raw === undefined || raw === null || raw === '' ? fallback : raw;
    if (value === null)
      throw new MessagePurposeNotAllowedError({
        action: 'block',
        purpose_status: 'missing',
      });
    if (!this.deps.policies.purposes.allowed.some((p) => p.id === value)) {
      const disallowed = this.deps.policies.purposes.disallowed.some((p) => p.id === value);
      throw new MessagePurposeNotAllowedError({
        action: 'block',
        purpose_status: disallowed ? 'disallowed' : 'unknown',
      });
    }
    return value as string;
  }

  /**
   * The conversation window: strict mode needs an inbound WhatsApp message from this contact
   * within `window_hours`; relaxed mode still needs the contact to have written at some point
   * for replies (`requireContact`), and nothing for call events (the customer just called).
   */
  private async checkWindow(
    integration: ThreeCxIntegration,
    instance: Instance,
    phone: string,
    requireContact: boolean,
  ): Promise<void> {
    if (!integration.strictWindow && !requireContact) return;
    const last = await this.deps.store.lastInboundAt(instance.id, phone);
    const windowMs = integration.windowHours * 3600_000;
    const details = {
      strict_window: integration.strictWindow,
      window_hours: integration.windowHours,
      last_inbound_at: last === null ? null : isoSeconds(last),
    };
    if (last === null)
      throw new ConversationWindowClosedError({
        ...details,
        reason: 'no_inbound_message',
      });
    if (integration.strictWindow && this.now() - last >= windowMs)
      throw new ConversationWindowClosedError({
        ...details,
        reason: 'window_expired',
      });
  }

  private reference(payload: Payload): string | null {
    const value = text(payload.conversation_id) ?? text(payload.call_id) ?? text(payload.reference);
    return value === null ? null : value.slice(0, 200);
  }

  /** Sends as the integration (its instance, `source: "threecx"`) and answers 3CX with what was sent. */
  private async send(
    integration: ThreeCxIntegration,
    account: Account,
    payload: Payload,
    base: Base,
    message: { phone: string; text: string; purpose: string },
  ): Promise<ThreeCxResult> {
    const sent = await this.deps.sender.send({
      account,
      instanceId: integration.instanceId,
      phone: message.phone,
      message: message.text,
      purpose: message.purpose,
      reference: this.reference(payload),
      source: 'threecx',
      integrationId: integration.id,
      module: 'threecx',
    });
    return { ...base, status: 'sent', message_id: sent.message_id, log_id: sent.log_id };
  }

  private async reply(
    integration: ThreeCxIntegration,
    account: Account,
    payload: Payload,
    base: Base,
    facts: { phone: string | null },
  ): Promise<ThreeCxResult> {
    if (!integration.outboundEnabled) throw new OutboundDisabledError();
    const instance = await this.instanceOf(integration);
    const phone = this.phone(payload, REPLY_PHONE_FIELDS, instance, account, facts);
    const message = typeof payload.message_text === 'string' ? payload.message_text : payload.message;
    if (typeof message !== 'string' || message.trim() === '') throw new MissingMessageTextError();
    if (message.length > MAX_MESSAGE_LENGTH)
      throw new ValidationError({
        errors: [
          {
            field: '/message_text',
            reason: `must be at most ${MAX_MESSAGE_LENGTH} characters`,
          },
        ],
      });
    const purpose = this.purpose(payload.message_purpose, null);
    await this.checkWindow(integration, instance, phone, true);
    return this.send(integration, account, payload, base, { phone, text: message, purpose });
  }

  private async callEvent(
    integration: ThreeCxIntegration,
    account: Account,
    eventType: TemplateEvent,
    payload: Payload,
    base: Base,
    facts: { phone: string | null },
  ): Promise<ThreeCxResult> {
    const instance = await this.instanceOf(integration);
    const phone = this.phone(payload, CALL_PHONE_FIELDS, instance, account, facts);
    const purpose = this.purpose(payload.message_purpose, CALL_EVENT_PURPOSE);
    await this.checkWindow(integration, instance, phone, false);

    const now = this.now();
    const key = { integrationId: integration.id, eventType, phone };
    const until = now + CALL_EVENT_COOLDOWN_MS;
    const claim = await this.deps.store.claimCooldown(key, now, until);
    if (!claim.ok) {
      return {
        ...base,
        status: 'skipped',
        reason: 'cooldown',
        retry_after: Math.max(1, Math.ceil((claim.expiresAt - now) / 1000)),
        cooldown_expires_at: isoSeconds(claim.expiresAt),
      };
    }
    const message = this.deps.templates.render(
      eventType,
      {
        customer_phone: phone,
        agent_extension: text(payload.agent_extension) ?? text(payload.extension) ?? '',
        queue: text(payload.queue) ?? text(payload.queue_name) ?? '',
        call_time: callTimeValue(payload.call_time, account.timezone, now),
        business_name: integration.businessName ?? account.name,
      },
      integration.templates[eventType] ?? null,
    );
    try {
      return await this.send(integration, account, payload, base, { phone, text: message, purpose });
    } catch (error) {
      // Nothing was sent: a retry after the refusal (a throttle, a failed transport) may send.
      await this.deps.store.releaseCooldown(key, until).catch(() => {});
      throw error;
    }
  }
}
