import { Router } from 'express';
import type { Container } from '../../container.ts';
import { InvalidInstanceError } from '../../errors/errors.ts';
import { presentAdminInstance } from '../../instances/instance-service.ts';
import { presentStrike } from '../../review/auto-pause-service.ts';
import { adminAuth } from '../middleware/auth.ts';
import { handler } from '../middleware/async-handler.ts';
import { deliveryLog, deliveryLogDoc } from './delivery-log.ts';
import { optionalString } from './pagination.ts';
import { describe } from '../../openapi/route-meta.ts';
import { RESPONSES } from '../../openapi/response-schemas.ts';
import { q } from '../../openapi/params.ts';

/**
 * Admin JSON API additions for compliance review (SPEC §9): one instance with its pause
 * evidence and its standing on the strike ladder (every trigger evaluated now, with value and
 * threshold), and webhook endpoint health across accounts.
 */
export function adminReviewRoutes(c: Container): Router {
  const router = Router();
  const admin = adminAuth(c.adminToken, c.authFailures);

  router.get(
    '/admin/api/instances/:id',
    describe({
      summary: 'One instance with its review standing',
      description:
        'Pause evidence, strikes, any review slowdown, and every automatic pause trigger evaluated now (value, threshold, explanation).',
      tag: 'Admin: review',
      response: { status: 200, description: 'The instance and its standing.', ...RESPONSES.adminInstanceReview },
      errors: ['invalid_instance'],
    }),
    admin,
    handler(async (req, res) => {
      const id = String(req.params.id);
      const instance = /^[A-Za-z0-9_-]{1,64}$/.test(id) ? await c.instanceStore.get(id) : null;
      if (!instance || instance.destroyedAt !== null) throw new InvalidInstanceError();
      const standing = await c.autoPause.standing(instance.id);
      res.json({
        success: true,
        instance: {
          ...(await presentAdminInstance(instance, c.clock.now().getTime())),
          paused_by: instance.pausedBy,
          pause_evidence: instance.pauseEvidence,
          owner_node: await c.ownerOf(instance.id),
        },
        review: {
          pause_count: standing.pauseCount,
          last_resumed_at: standing.lastResumedAt ? new Date(standing.lastResumedAt).toISOString() : null,
          throttle: standing.throttle
            ? {
                multiplier: standing.throttle.multiplier,
                until: new Date(standing.throttle.until).toISOString(),
              }
            : null,
          strikes: standing.strikes.map(presentStrike),
          triggers: standing.triggers.map((t) => ({
            id: t.triggerId,
            signal: t.signal,
            value: t.value,
            threshold: t.threshold,
            unit: t.unit,
            events: t.events,
            sample: t.sample,
            window_seconds: t.windowSeconds,
            over_threshold: t.fired,
            explanation: t.explanation,
          })),
        },
      });
    }),
  );

  router.get(
    '/admin/api/webhook-endpoints/:id/deliveries',
    describe({
      summary: 'Delivery log of any endpoint (admin)',
      description:
        'Deliveries to one endpoint of any account with every attempt, response bodies included (also from private ranges allowed by WEBHOOK_ALLOWED_CIDRS, which customers do not see).',
      tag: 'Admin: review',
      ...deliveryLogDoc,
    }),
    admin,
    deliveryLog('admin', (req, _res, query) => c.webhooks.listDeliveriesAsAdmin(String(req.params.id), query)),
  );

  router.get(
    '/admin/api/webhook-endpoints',
    describe({
      summary: 'Webhook endpoint health (all accounts)',
      tag: 'Admin: review',
      params: [
        q('health', '`healthy`, `failing` or `disabled`.', { enum: ['healthy', 'failing', 'disabled'] }),
      ],
      response: { status: 200, description: 'Endpoints with their health.', ...RESPONSES.adminWebhookEndpoints },
      errors: ['validation_error'],
    }),
    admin,
    handler(async (req, res) => {
      const q = req.query as Record<string, unknown>;
      const health = optionalString(q, 'health', /^(disabled|failing|healthy)$/);
      const all = await c.webhookEndpoints.listAll({ limit: 1000, offset: 0 });
      const healthOf = (e: { enabled: boolean; consecutiveFailures: number }) =>
        !e.enabled ? 'disabled' : e.consecutiveFailures > 0 ? 'failing' : 'healthy';
      res.json({
        success: true,
        endpoints: all
          .filter((e) => !health || healthOf(e) === health)
          .map((e) => ({
            id: e.id,
            account_id: e.accountId,
            instance_id: e.instanceId,
            destination_url: e.destinationUrl,
            events: e.events,
            enabled: e.enabled,
            health: healthOf(e),
            disabled_reason: e.disabledReason,
            disabled_at: e.disabledAt ? new Date(e.disabledAt).toISOString() : null,
            consecutive_failures: e.consecutiveFailures,
            updated_at: new Date(e.updatedAt).toISOString(),
          })),
      });
    }),
  );
  return router;
}
