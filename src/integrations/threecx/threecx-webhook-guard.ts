import { WebhookRateLimitedError } from '../../errors/errors.ts';
import type { Clock } from '../../lib/clock.ts';
import { randomToken } from '../../lib/ids.ts';
import { moduleLogger } from '../../lib/logger.ts';
import { secretsEqual } from '../../lib/secrets-equal.ts';
import { type SecretBox, SecretUnavailableError } from './secret-box.ts';
import {
  allowlistPermits,
  parseSignatureHeader,
  parseTimestamp,
  REPLAY_TTL_MS,
  signatureMatches,
  timestampFresh,
} from './threecx-auth.ts';
import type { ThreeCxRateLimiter } from './threecx-rate-limiter.ts';
import type { ThreeCxIntegration, ThreeCxStore } from './threecx-store.ts';

const log = moduleLogger('threecx');

export interface ThreeCxWebhookGuardDeps {
  store: ThreeCxStore;
  box: SecretBox;
  rateLimiter: ThreeCxRateLimiter;
  clock: Clock;
}

/**
 * The 3CX webhook's gate, before any event is looked at: shared secret, IP allowlist, optional
 * HMAC with its replay guard, and the per-integration rate limit. `ThreeCxWebhook` handles what
 * gets through.
 */
export class ThreeCxWebhookGuard {
  private dummy: Promise<string> | null = null;

  constructor(private readonly deps: ThreeCxWebhookGuardDeps) {}

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
}
