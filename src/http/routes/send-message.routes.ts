import { createHash } from 'node:crypto';
import { Router } from 'express';
import type { Container } from '../../container.ts';
import { ValidationError } from '../../errors/errors.ts';
import { accountOf, apiKeyAuth } from '../middleware/auth.ts';
import { handler } from '../middleware/async-handler.ts';
import { jsonRequest } from '../middleware/json-request.ts';
import { validateBody } from '../middleware/validate-body.ts';
import {
  checkSendMessageBody,
  type SendMessageBody,
  sendMessageSchema,
} from '../schemas/send-message.schema.ts';
import { describe } from '../../openapi/route-meta.ts';
import { RESPONSES } from '../../openapi/response-schemas.ts';

/** `POST /api/send-message`: pipeline steps 1–4 as middleware, then the ResponsibleMessageSender. */
export function sendMessageRoutes(c: Container): Router {
  const router = Router();

  const sendMessage = handler(async (req, res) => {
    const account = accountOf(res);
    const body = req.body as SendMessageBody;
    const idemKey = req.get('idempotency-key');
    if (idemKey !== undefined && !/^[\x21-\x7e]{1,200}$/.test(idemKey)) {
      throw new ValidationError({
        errors: [{ field: 'header:Idempotency-Key', reason: 'must be 1–200 visible ASCII characters' }],
      });
    }
    let claimedAt: number | null = null;
    if (idemKey) {
      const requestHash = createHash('sha256')
        .update((req as unknown as { rawBody: Buffer }).rawBody)
        .digest('hex');
      const begun = await c.idempotency.begin(account.id, idemKey, requestHash);
      if (begun.kind === 'replay') {
        res.setHeader('Idempotent-Replayed', 'true');
        return res.status(begun.status).json(begun.body);
      }
      claimedAt = begun.claimedAt;
    }
    try {
      const result = await c.sender.send({
        account,
        instanceId: body.instance_id,
        phone: body.phone,
        message: body.message ?? '',
        purpose: body.message_purpose,
        reference: body.reference ?? null,
        media: body.media
          ? {
              type: body.media_type as NonNullable<SendMessageBody['media_type']>,
              mimeType: String(body.mime_type).toLowerCase(),
              fileName: body.file_name,
              data: Buffer.from(body.media, 'base64'),
            }
          : undefined,
        source: 'api',
        module: 'api',
        // The answer is stored with the send itself (one transaction), see IdempotencyStore.
        idempotencyKey: idemKey,
      });
      res.status(200).json(result);
    } catch (error) {
      // Refusals are not stored: a retry with the same key is evaluated afresh.
      if (idemKey && claimedAt !== null) await c.idempotency.abandon(account.id, idemKey, claimedAt);
      throw error;
    }
  });

  router.post(
    '/api/send-message',
    describe({
      summary: 'Send a message',
      description:
        'Runs the ResponsibleMessageSender pipeline (content type → API key → JSON → schema → module → plan → instance → purpose → pause → suppression → daily/monthly limits → throttles → risk → transport); the first refusal decides the answer. Send an `Idempotency-Key` header to make retries safe: the same key and body return the first successful response and send nothing twice (kept 24 h).',
      tag: 'Messaging',
      params: [
        {
          name: 'Idempotency-Key',
          in: 'header',
          description: '1–200 visible ASCII characters, unique per logical message. Successful responses are replayed for 24 h; refusals are not stored.',
          schema: { type: 'string', maxLength: 200 },
          example: 'order-2041-shipped',
        },
      ],
      request: { example: {
        instance_id: 'inst_uMsUnJPnr3DWpmwT',
        phone: '+966500000001',
        message: 'Your order #2041 has been shipped.',
        message_purpose: 'transactional',
        reference: 'order-2041',
      } },
      response: { status: 200, description: 'Sent.', ...RESPONSES.sendMessage },
      errors: [
        'module_not_enabled',
        'active_plan_required',
        'invalid_instance',
        'message_purpose_required',
        'message_purpose_not_allowed',
        'instance_paused_for_review',
        'recipient_suppressed',
        'daily_message_limit_exceeded',
        'monthly_message_limit_exceeded',
        'sending_throttled',
        'policy_violation',
        'gateway_send_failed',
        'idempotency_key_reused',
      'conflict',
      ],
    }),
    ...jsonRequest(apiKeyAuth(c.apiKeys, c.accountStore), c.bodyBudget, { limit: '24mb' }),
    validateBody(sendMessageSchema, checkSendMessageBody),
    sendMessage,
  );
  return router;
}
