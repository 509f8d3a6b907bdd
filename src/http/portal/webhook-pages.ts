import type { Response } from 'express';
import { ValidationError } from '../../errors/errors.ts';
import type { Attempt, Delivery } from '../../webhooks/delivery-records.ts';
import type { WebhookEndpoint } from '../../webhooks/webhook-endpoint-store.ts';
import { formatDate } from '../admin-console/views.ts';
import { createWebhookSchema, SUBSCRIBABLE_EVENTS } from '../schemas/webhook.schema.ts';
import { accountIdOf, audit, field, list, type PortalKit, validate } from './portal-kit.ts';

function endpointView(e: WebhookEndpoint): Record<string, unknown> {
  return {
    id: e.id,
    url: e.destinationUrl,
    events: e.events.join(', '),
    instanceId: e.instanceId ?? 'all instances',
    description: e.description ?? '',
    enabled: e.enabled,
    disabledReason: e.disabledReason ?? '',
    disabledAt: formatDate(e.disabledAt),
    failures: e.consecutiveFailures,
    createdAt: formatDate(e.createdAt),
  };
}

function deliveryView(d: Delivery, attempts: Attempt[], enabled: boolean): Record<string, unknown> {
  return {
    id: d.id,
    event: d.eventType,
    status: d.status,
    ok: d.status === 'succeeded',
    bad: d.status === 'failed' || d.status === 'cancelled',
    held: d.status === 'pending' && !enabled,
    finished: d.status === 'succeeded' || d.status === 'failed',
    createdAt: formatDate(d.createdAt),
    lastStatus: d.lastStatusCode ?? '—',
    lastError: d.lastError ?? '',
    attempts: attempts.map((a) => ({
      n: a.attemptNumber,
      at: formatDate(a.createdAt),
      trigger: a.trigger,
      status: a.statusCode ?? '—',
      latency: `${a.latencyMs} ms`,
      error: a.error ?? '',
      body: (a.responseBody ?? '').slice(0, 300),
    })),
  };
}

/** Webhooks: create with event filters, rotate the secret, test, deliveries and attempts, redeliver, recover, re-enable. */
export function registerWebhookPages(kit: PortalKit): void {
  const { c, views, get, post, page } = kit;
  const at = (id: string, notice = '') => `/portal/webhooks/${encodeURIComponent(id)}${notice ? `?notice=${notice}` : ''}`;

  const renderList = async (res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const accountId = accountIdOf(res);
    const items = await c.webhooks.list(accountId, { limit: 200, offset: 0 });
    views.render(
      res,
      'webhooks',
      {
        ...page('webhooks'),
        title: 'Webhooks',
        endpoints: items.map(endpointView),
        events: SUBSCRIBABLE_EVENTS.map((e) => ({ id: e, all: e === '*' })),
        instances: (await c.instanceStore.listForAccount(accountId)).map((i) => ({ id: i.id, name: i.name })),
        ...extra,
      },
      status,
    );
  };

  get('/portal/webhooks', async (_req, res) => renderList(res));

  post('/portal/webhooks', 'manage', async (req, res) => {
    const input: Record<string, unknown> = {
      destination_url: field(req.body, 'destination_url').trim(),
      events: list(req.body, 'events'),
    };
    const instanceId = field(req.body, 'instance_id');
    if (instanceId) input.instance_id = instanceId;
    const description = field(req.body, 'description').trim();
    if (description) input.description = description;
    validate(createWebhookSchema, input);
    const { endpoint, secret } = await c.webhooks.create(accountIdOf(res), input as never);
    await audit(c, res, { action: 'webhook.created', targetType: 'webhook', targetId: endpoint.id, detail: { events: endpoint.events } });
    // Rendered, not redirected: the signing secret is shown once, in this response only.
    await renderWebhook(res, endpoint.id, { secret, secretTitle: 'Webhook created' }, 201);
  });

  const renderWebhook = async (res: Response, id: string, extra: Record<string, unknown> = {}, status = 200) => {
    const { endpoint, deliveries } = await c.webhooks.listDeliveries(accountIdOf(res), id, { limit: 30, offset: 0 });
    views.render(
      res,
      'webhook',
      {
        ...page('webhooks'),
        title: `Webhook ${endpoint.id}`,
        w: endpointView(endpoint),
        deliveries: deliveries.map((d) => deliveryView(d.delivery, d.attempts, endpoint.enabled)),
        recoverSince: new Date(c.clock.now().getTime() - 86_400_000).toISOString().slice(0, 10),
        ...extra,
      },
      status,
    );
  };

  get('/portal/webhooks/:id', async (req, res) => renderWebhook(res, String(req.params.id)));

  post('/portal/webhooks/:id/test', 'manage', async (req, res) => {
    const id = String(req.params.id);
    const result = await c.webhooks.sendTest(accountIdOf(res), id);
    await audit(c, res, { action: 'webhook.tested', targetType: 'webhook', targetId: id, detail: { event_id: result.eventId } });
    res.redirect(303, at(id, 'webhook_test'));
  });

  post('/portal/webhooks/:id/rotate-secret', 'manage', async (req, res) => {
    const id = String(req.params.id);
    const grace = field(req.body, 'grace') === 'none' ? 0 : undefined;
    const { secret } = await c.webhooks.rotateSecret(accountIdOf(res), id, grace);
    await audit(c, res, { action: 'webhook.secret_rotated', targetType: 'webhook', targetId: id, detail: { grace: grace ?? 'default' } });
    await renderWebhook(res, id, { secret, secretTitle: 'New signing secret' });
  });

  post('/portal/webhooks/:id/enable', 'manage', async (req, res) => {
    const id = String(req.params.id);
    await c.webhooks.update(accountIdOf(res), id, { enabled: true });
    await audit(c, res, { action: 'webhook.enabled', targetType: 'webhook', targetId: id });
    res.redirect(303, at(id, 'webhook_saved'));
  });

  post('/portal/webhooks/:id/disable', 'manage', async (req, res) => {
    const id = String(req.params.id);
    await c.webhooks.update(accountIdOf(res), id, { enabled: false });
    await audit(c, res, { action: 'webhook.disabled', targetType: 'webhook', targetId: id });
    res.redirect(303, at(id, 'webhook_saved'));
  });

  post('/portal/webhooks/:id/delete', 'manage', async (req, res) => {
    const id = String(req.params.id);
    await c.webhooks.remove(accountIdOf(res), id);
    await audit(c, res, { action: 'webhook.deleted', targetType: 'webhook', targetId: id });
    res.redirect(303, '/portal/webhooks?notice=webhook_deleted');
  });

  post('/portal/webhooks/:id/recover', 'manage', async (req, res) => {
    const id = String(req.params.id);
    const day = field(req.body, 'since');
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day))
      throw new ValidationError({ errors: [{ field: '/since', reason: 'must be a date (YYYY-MM-DD)' }] });
    const result = await c.webhooks.recover(accountIdOf(res), id, { since: `${day}T00:00:00Z` });
    await audit(c, res, { action: 'webhook.recovered', targetType: 'webhook', targetId: id, detail: { recovered: result.recovered, since: result.since } });
    res.redirect(303, at(id, 'recovered'));
  });

  post('/portal/webhooks/deliveries/:id/redeliver', 'manage', async (req, res) => {
    const result = await c.webhooks.redeliver(accountIdOf(res), String(req.params.id));
    await audit(c, res, { action: 'webhook.redelivered', targetType: 'webhook', targetId: result.endpoint.id, detail: { delivery_id: result.delivery.id } });
    res.redirect(303, at(result.endpoint.id, 'redelivered'));
  });
}
