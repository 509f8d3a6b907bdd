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
  WebhookRateLimitedError,
} from '../../errors/errors.ts';
import type { Instance, InstanceStore } from '../../instances/instance-store.ts';
import { type Clock, isoSeconds } from '../../lib/clock.ts';
import { randomToken } from '../../lib/ids.ts';
import { moduleLogger } from '../../lib/logger.ts';
import { normalizePhone } from '../../lib/phone.ts';
import type { SendSuccess } from '../../sending/responsible-message-sender.ts';
import type { SendCommand } from '../../sending/send-context.ts';
import { type SecretBox, SecretUnavailableError } from './secret-box.ts';
import {
  allowlistPermits,
  parseSignatureHeader,
  parseTimestamp,
  REPLAY_TTL_MS,
  signatureMatches,
  timestampFresh,
} from './threecx-auth.ts';
import { secretsEqual } from '../../lib/secrets-equal.ts';
import type { ThreeCxRateLimiter } from './threecx-rate-limiter.ts';
import { THREECX_MODULE_MESSAGE } from './threecx-service.ts';
import type { ThreeCxIntegration, ThreeCxStore } from './threecx-store.ts';
import { isTemplateEvent, type TemplateEvent, type ThreeCxTemplates } from './threecx-templates.ts';

const log = moduleLogger('threecx');

export const THREECX_EVENT_TYPES = [
  'test',
  'outbound_message',
  'inbound_reply',
  'missed_call',
  'call_started',
  'call_ended',
  'voicemail',
  'queue_event',
  'queue_callback',
  'after_hours',
] as const;
export type ThreeCxEventType = (typeof THREECX_EVENT_TYPES)[number];

/** Replies from 3CX into a WhatsApp conversation. */
const REPLY_EVENTS = new Set<string>(['outbound_message', 'inbound_reply']);
/** Call events that are recorded but never send anything. */
const INFORMATIONAL_EVENTS = new Set<string>(['call_started', 'queue_event']);

/**
 * Where the customer's number is read from, first present field wins. `customer_phone` always
 * comes first; after it, a reply goes `to` the customer, while on a call the customer is the
 * `caller` / `from` side (and `to` is usually the business's own number).
 */
export const REPLY_PHONE_FIELDS = ['customer_phone', 'to', 'phone', 'from', 'caller'] as const;
export const CALL_PHONE_FIELDS = ['customer_phone', 'caller', 'from', 'phone', 'to'] as const;

/** One call-event reply per integration, event type and phone per 15 minutes. */
export const CALL_EVENT_COOLDOWN_MS = 15 * 60_000;
export const MAX_MESSAGE_LENGTH = 4096;
/** Default purpose of gateway-rendered call-event replies. */
export const CALL_EVENT_PURPOSE = 'support';

export interface ThreeCxWebhookDeps {
  store: ThreeCxStore;
  box: SecretBox;
  accounts: AccountStore;
  instances: InstanceStore;
  sender: { send(command: SendCommand): Promise<SendSuccess> };
  policies: Readonly<Policies>;
  templates: ThreeCxTemplates;
  rateLimiter: ThreeCxRateLimiter;
  clock: Clock;
}

export type ThreeCxResult = Record<string, unknown> & {
  success: true;
  status: string;
};

type Payload = Record<string, unknown>;
type Base = { success: true; event_type: string; integration_id: string };

function text(value: unknown): string | null {
  if (typeof value === 'string') return value.trim() === '' ? null : value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/** `YYYY-MM-DD HH:mm` in the account's time zone. */
function formatLocal(ms: number, timeZone: string): string {
  try {
    const parts = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).formatToParts(new Date(ms));
    const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
    return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
  } catch {
    return isoSeconds(ms);
  }
}

/** `call_time` as the account reads it: dates (RFC 3339, unix s/ms) are formatted, other text kept. */
export function callTimeValue(raw: unknown, timeZone: string, now: number): string {
  const value = text(raw);
  if (value === null) return formatLocal(now, timeZone);
  let ms: number | null = null;
  if (/^\d{9,11}$/.test(value)) ms = Number(value) * 1000;
  else if (/^\d{12,14}$/.test(value)) ms = Number(value);
  else if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(value)) {
    const parsed = Date.parse(value.replace(' ', 'T'));
    ms = Number.isNaN(parsed) ? null : parsed;
  }
  return ms === null ? value : formatLocal(ms, timeZone);
}

/**
 * The 3CX webhook: authentication (shared secret, IP allowlist, optional HMAC, replay guard)
 * and, once authenticated, the events. Every send goes through the ResponsibleMessageSender
 * with `source: "threecx"` and the integration id, so purpose, suppression, pause, limits,
 * throttles and risk apply exactly as to the public API.
 */
export class ThreeCxWebhook {
  private dummy: Promise<string> | null = null;

  constructor(private readonly deps: ThreeCxWebhookDeps) {}

  private now(): number {
    return this.deps.clock.now().getTime();
  }

  /** A ciphertext to decrypt when there is no real one, so unknown ids cost what known ones do. */
  private dummyCiphertext(): Promise<string> {
    if (!this.dummy) {
      this.dummy = this.deps.box.encrypt(`tcx_${randomToken(32)}`, 'threecx-dummy');
      this.dummy.catch(() => {
        this.dummy = null;
      });
    }
    return this.dummy;
  }

  /**
   * Step one, headers only (the body is not read yet): the integration exists and is enabled,
   * the caller's address is allowed, the secret header matches. Returns the integration, or
   * null for any failure; the caller answers every null the same way. The same work is done on
   * every path: one lookup, one decryption, one constant-time comparison.
   */
  async authenticate(
    integrationId: string,
    presentedSecret: string | undefined,
    remoteAddress: string | undefined,
    forwardedFor: string | undefined,
  ): Promise<ThreeCxIntegration | null> {
    const integration = /^[A-Za-z0-9_-]{1,40}$/.test(integrationId)
      ? await this.deps.store.get(integrationId)
      : null;
    let expected = '';
    let usable = false;
    try {
      if (integration) {
        expected = await this.deps.box.decrypt(integration.secretCiphertext, integration.id);
        usable = integration.enabled;
      } else {
        expected = await this.deps.box.decrypt(await this.dummyCiphertext(), 'threecx-dummy');
      }
    } catch (error) {
      if (error instanceof SecretUnavailableError)
        log.error('3cx integration secret cannot be decrypted; rotate the secret', {
          integration_id: integration?.id,
          reason: error.message,
        });
      else throw error;
      expected = `tcx_${randomToken(32)}`;
      usable = false;
    }
    const secretOk = secretsEqual(presentedSecret ?? '', expected);
    const addressOk = integration
      ? allowlistPermits(integration.ipAllowlist, integration.trustedProxies, remoteAddress, forwardedFor)
      : allowlistPermits([], [], remoteAddress, forwardedFor);
    if (!(integration && usable && secretOk && addressOk)) {
      log.info('3cx webhook refused before authentication', {
        integration_known: Boolean(integration),
        // Which check failed is for the operator's log only, never for the response.
        reason: !integration
          ? 'unknown_integration'
          : !integration.enabled
            ? 'integration_disabled'
            : !usable
              ? 'secret_unavailable'
              : !addressOk
                ? 'ip_not_allowed'
                : 'wrong_secret',
      });
      return null;
    }
    return integration;
  }

  /**
   * Step two, over the raw body: the HMAC headers (required when the integration says so,
   * verified whenever present), a fresh timestamp, and a signature not seen before.
   */
  async verifySignature(
    integration: ThreeCxIntegration,
    timestampHeader: string | undefined,
    signatureHeader: string | undefined,
    rawBody: Buffer,
  ): Promise<boolean> {
    const hasTimestamp = timestampHeader !== undefined && timestampHeader !== '';
    const hasSignature = signatureHeader !== undefined && signatureHeader !== '';
    if (!hasTimestamp && !hasSignature) {
      if (!integration.requireHmac) return true;
      return this.refuse(integration, 'hmac_required');
    }
    if (!hasTimestamp || !hasSignature) return this.refuse(integration, 'hmac_incomplete');
    const ts = parseTimestamp(timestampHeader);
    const now = this.now();
    if (ts === null || !timestampFresh(ts, now)) return this.refuse(integration, 'stale_timestamp');
    const signature = parseSignatureHeader(signatureHeader);
    let secret: string;
    try {
      secret = await this.deps.box.decrypt(integration.secretCiphertext, integration.id);
    } catch {
      return this.refuse(integration, 'secret_unavailable');
    }
    if (!signature || !signatureMatches(secret, timestampHeader, rawBody, signature))
      return this.refuse(integration, 'bad_signature');
    if (!(await this.deps.store.claimSignature(integration.id, signature, now, now + REPLAY_TTL_MS)))
      return this.refuse(integration, 'replay');
    return true;
  }

  private refuse(integration: ThreeCxIntegration, reason: string): false {
    log.info('3cx webhook refused before authentication', {
      integration_id: integration.id,
      reason,
    });
    return false;
  }

  /** 60 authenticated requests per minute per integration. */
  async rateLimit(integration: ThreeCxIntegration): Promise<void> {
    const result = await this.deps.rateLimiter.consume(integration.id);
    if (!result.ok) {
      const error = new WebhookRateLimitedError({
        limit: this.deps.rateLimiter.limit,
        retry_after: result.retryAfterSeconds,
      });
      error.headers['Retry-After'] = String(result.retryAfterSeconds);
      log.warn('3cx webhook rate limited', { integration_id: integration.id });
      throw error;
    }
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
      try {
        await this.deps.store.recordEvent({
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
        });
      } catch (error) {
        log.error('could not record a 3cx event', {
          integration_id: integration.id,
          error,
        });
      }
      log.info('3cx event', {
        integration_id: integration.id,
        account_id: integration.accountId,
        event_type: facts.eventType,
        outcome,
        error: extra.error ?? undefined,
        reason: extra.reason ?? undefined,
        phone: facts.phone ?? undefined,
        log_id: extra.logId ?? undefined,
      });
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

  private async send(
    integration: ThreeCxIntegration,
    account: Account,
    phone: string,
    message: string,
    purpose: string,
    reference: string | null,
  ): Promise<SendSuccess> {
    return this.deps.sender.send({
      account,
      instanceId: integration.instanceId,
      phone,
      message,
      purpose,
      reference,
      source: 'threecx',
      integrationId: integration.id,
      module: 'threecx',
    });
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
    const sent = await this.send(integration, account, phone, message, purpose, this.reference(payload));
    return {
      ...base,
      status: 'sent',
      message_id: sent.message_id,
      log_id: sent.log_id,
    };
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
      const sent = await this.send(integration, account, phone, message, purpose, this.reference(payload));
      return {
        ...base,
        status: 'sent',
        message_id: sent.message_id,
        log_id: sent.log_id,
      };
    } catch (error) {
      // Nothing was sent: a retry after the refusal (a throttle, a failed transport) may send.
      await this.deps.store.releaseCooldown(key, until).catch(() => {});
      throw error;
    }
  }
}
