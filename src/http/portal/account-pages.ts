import type { Request, Response } from 'express';
import QRCode from 'qrcode';
import { NotFoundError } from '../../errors/errors.ts';
import { presentIntegration } from '../../integrations/threecx/threecx-service.ts';
import { dayKey, monthKey, nextDayStart, nextMonthStart } from '../../lib/time-windows.ts';
import { normalizePhoneOrReject } from '../../lib/phone.ts';
import { portalActor } from '../../portal/portal-users.ts';
import { otpauthUri } from '../../portal/totp.ts';
import { parseTrendRange, SendTrends } from '../../sending/send-trends.ts';
import { formatDate } from '../admin-console/views.ts';
import { createApiKeySchema } from '../schemas/account.schema.ts';
import { createSuppressionSchema } from '../schemas/suppression.schema.ts';
import { updateThreeCxIntegrationSchema } from '../schemas/threecx.schema.ts';
import { rateThresholds, trendView } from '../views/trend-charts.ts';
import { accountIdOf, audit, field, type PortalKit, portalOf, validate } from './portal-kit.ts';

const DOCS = [
  { path: '/docs/quickstart', label: 'Quickstart' },
  { path: '/docs/connect', label: 'Connect a number' },
  { path: '/docs/send', label: 'Send messages' },
  { path: '/docs/receive', label: 'Webhooks' },
  { path: '/docs/responsible-messaging', label: 'Responsible messaging' },
  { path: '/docs/troubleshooting', label: 'Troubleshooting' },
  { path: '/docs/endpoints', label: 'Endpoint reference' },
];

function origin(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

/** Overview, quota and usage charts, API keys, suppressions, two-step sign-in, 3CX settings. */
export function registerAccountPages(kit: PortalKit): void {
  const { c, views, get, post, page } = kit;
  const trends = new SendTrends(c.db);

  const quota = async (res: Response) => {
    const { account } = portalOf(res);
    const at = c.clock.now();
    const used = await c.quota.used(account.id, { dayKey: dayKey(at, account.timezone), monthKey: monthKey(at, account.timezone) });
    const limits = c.accounts.limitsFor(account);
    const w = (limit: number, u: number, resets: Date) => ({
      limit,
      used: u,
      remaining: Math.max(0, limit - u),
      pct: limit > 0 ? Math.min(100, Math.round((u / limit) * 100)) : 100,
      resets: formatDate(resets.getTime()),
    });
    return {
      plan: account.plan,
      active: account.planActive,
      timezone: account.timezone,
      daily: w(limits.daily, used.daily, nextDayStart(at, account.timezone)),
      monthly: w(limits.monthly, used.monthly, nextMonthStart(at, account.timezone)),
    };
  };

  get('/portal', async (req, res) => {
    const accountId = accountIdOf(res);
    const instances = await c.instanceStore.listForAccount(accountId);
    const keys = (await c.apiKeys.list(accountId)).filter((k) => k.revokedAt === null);
    const webhooks = await c.webhooks.list(accountId, { limit: 200, offset: 0 });
    views.render(res, 'home', {
      ...page('home'),
      title: 'Overview',
      quota: await quota(res),
      stats: {
        instances: instances.length,
        connected: instances.filter((i) => i.state === 'connected').length,
        paused: instances.filter((i) => i.paused).length,
        keys: keys.length,
        webhooks: webhooks.length,
        webhooksDisabled: webhooks.filter((w) => !w.enabled).length,
      },
      paused: instances.filter((i) => i.paused).map((i) => ({ id: i.id, name: i.name, reason: i.pauseReason ?? '' })),
      origin: origin(req),
      docs: DOCS,
    });
  });

  get('/portal/usage', async (req, res) => {
    const t = rateThresholds(c.policies.pause);
    const series = await trends.series({ accountId: accountIdOf(res) }, parseTrendRange(req.query.range), c.clock.now().getTime(), {
      excludeFailureReasons: t.excludeFailureReasons,
    });
    views.render(res, 'usage', { ...page('usage'), title: 'Usage', quota: await quota(res), trends: trendView(series, c.policies.pause, 'usage') });
  });

  // ------------------------------------------------------------------ API keys

  const keyRows = async (res: Response) =>
    (await c.apiKeys.list(accountIdOf(res))).map((k) => ({
      id: k.id,
      name: k.name,
      prefix: k.prefix,
      createdAt: formatDate(k.createdAt),
      lastUsedAt: k.lastUsedAt ? formatDate(k.lastUsedAt) : 'never',
      revoked: k.revokedAt !== null,
      revokedAt: formatDate(k.revokedAt),
    }));

  get('/portal/keys', async (req, res) => {
    views.render(res, 'keys', { ...page('keys'), title: 'API keys', keys: await keyRows(res), origin: origin(req) });
  });

  post('/portal/keys', 'manage', async (req, res) => {
    const name = field(req.body, 'name').trim();
    validate(createApiKeySchema, { name });
    const { key, info } = await c.apiKeys.create(accountIdOf(res), name);
    await audit(c, res, { action: 'api_key.created', targetType: 'api_key', targetId: info.id, detail: { name: info.name, prefix: info.prefix } });
    // Rendered, not redirected: the key appears once, in this response only.
    views.render(res, 'keys', { ...page('keys'), title: 'API key created', keys: await keyRows(res), origin: origin(req), created: { key, name: info.name } }, 201);
  });

  post('/portal/keys/:id/revoke', 'manage', async (req, res) => {
    const accountId = accountIdOf(res);
    const key = await c.apiKeys.get(accountId, String(req.params.id));
    if (!key) throw new NotFoundError(undefined, 'No API key with this id exists in your account.');
    await c.apiKeys.revoke(accountId, key.id);
    await audit(c, res, { action: 'api_key.revoked', targetType: 'api_key', targetId: key.id, detail: { name: key.name, prefix: key.prefix } });
    res.redirect(303, '/portal/keys?notice=key_revoked');
  });

  // ------------------------------------------------------------------ suppressions

  get('/portal/suppressions', async (_req, res) => {
    const items = await c.suppressions.list(accountIdOf(res), { limit: 500, offset: 0 });
    views.render(res, 'suppressions', {
      ...page('suppressions'),
      title: 'Suppressions',
      suppressions: items.map((s) => ({
        phone: s.phone,
        reason: s.reason,
        locked: s.reason === 'recipient_requested_stop',
        adminBlock: s.reason === 'admin_blocked',
        note: s.note ?? '',
        createdAt: formatDate(s.createdAt),
      })),
    });
  });

  post('/portal/suppressions', 'manage', async (req, res) => {
    const { account } = portalOf(res);
    const data: Record<string, unknown> = { phone: field(req.body, 'phone').trim() };
    const note = field(req.body, 'note').trim();
    if (note) data.note = note;
    validate(createSuppressionSchema, data);
    const phone = normalizePhoneOrReject(String(data.phone), account.defaultCountry);
    const { suppression } = await c.suppressions.add(c.db, {
      scope: account.id,
      phone,
      reason: 'customer_blocked',
      note: note || null,
      createdBy: portalActor(portalOf(res).user),
    });
    await audit(c, res, { action: 'suppression.added', targetType: 'suppression', targetId: suppression.id });
    res.redirect(303, '/portal/suppressions?notice=suppression_added');
  });

  post('/portal/suppressions/remove', 'manage', async (req, res) => {
    const { account } = portalOf(res);
    const phone = normalizePhoneOrReject(field(req.body, 'phone').trim(), account.defaultCountry, '/phone');
    // The customer's own rule: a recipient's STOP (and an operator's block) stay (SuppressionLockedError).
    const removed = await c.suppressions.remove(c.db, { scope: account.id, phone, by: 'customer' });
    if (!removed) throw new NotFoundError(undefined, 'This recipient is not on the suppression list.');
    await audit(c, res, { action: 'suppression.removed', targetType: 'suppression', targetId: removed.id, detail: { reason: removed.reason } });
    res.redirect(303, '/portal/suppressions?notice=suppression_removed');
  });

  // ------------------------------------------------------------------ two-step sign-in (own account)

  const renderSecurity = async (res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const { user } = portalOf(res);
    const pending = user.totpEnabled ? null : await c.portalUsers.pendingTotpSecret(user);
    views.render(
      res,
      'security',
      {
        title: 'Your sign-in',
        me: { email: user.email, name: user.name, role: user.role, totp: user.totpEnabled },
        pending: pending
          ? { secret: pending.replace(/(.{4})/g, '$1 ').trim(), qr: await QRCode.toDataURL(otpauthUri(pending, user.email), { margin: 1, width: 220 }) }
          : null,
        ...extra,
      },
      status,
    );
  };

  get('/portal/security', async (_req, res) => renderSecurity(res));

  post('/portal/security/totp/start', 'view', async (_req, res) => {
    await c.portalUsers.startTotp(portalOf(res).user);
    res.redirect(303, '/portal/security');
  });

  post('/portal/security/totp/confirm', 'view', async (req, res) => {
    const ok = await c.portalUsers.confirmTotp(portalOf(res).user, field(req.body, 'code').trim());
    if (!ok) return renderSecurity(res, { error: 'That code is not valid. Enter the current 6-digit code from your app.' }, 422);
    res.redirect(303, '/portal/security?notice=totp_enabled');
  });

  post('/portal/security/totp/disable', 'view', async (req, res) => {
    const ok = await c.portalUsers.disableTotp(portalOf(res).user, field(req.body, 'password'));
    if (!ok) return renderSecurity(res, { error: 'Wrong password: two-step sign-in stays on.' }, 422);
    res.redirect(303, '/portal/security?notice=totp_disabled');
  });

  // ------------------------------------------------------------------ 3CX (module accounts only)

  const threecxAccount = (res: Response) => {
    const { account } = portalOf(res);
    if (!account.modules.includes('threecx')) throw new NotFoundError(undefined, '3CX integration is not enabled for this account.');
    return account;
  };

  // The switches a customer flips day to day; templates, allowlists and the destination stay in the API.
  post('/portal/3cx/:id', 'manage', async (req, res) => {
    const account = threecxAccount(res);
    const on = (name: string) => field(req.body, name) === 'on';
    const input: Record<string, unknown> = {
      enabled: on('enabled'),
      outbound_enabled: on('outbound_enabled'),
      call_events_enabled: on('call_events_enabled'),
      strict_window: on('strict_window'),
    };
    const hours = field(req.body, 'window_hours').trim();
    if (hours) input.window_hours = /^\d{1,4}$/.test(hours) ? Number(hours) : hours;
    const name = field(req.body, 'business_name').trim();
    input.business_name = name || null;
    validate(updateThreeCxIntegrationSchema, input);
    const { integration } = await c.threecx.update(account, String(req.params.id), input);
    await audit(c, res, { action: 'threecx.updated', targetType: 'threecx_integration', targetId: integration.id, detail: { ...input } });
    res.redirect(303, '/portal/3cx?notice=threecx_saved');
  });

  get('/portal/3cx', async (_req, res) => {
    const account = threecxAccount(res);
    const items = await c.threecx.list(account, { limit: 100, offset: 0 });
    views.render(res, 'threecx', {
      ...page('threecx'),
      title: '3CX integration',
      integrations: items.map((i) => {
        const p = presentIntegration(i);
        return {
          id: i.id,
          instanceId: i.instanceId,
          businessName: i.businessName ?? '—',
          businessNameRaw: i.businessName ?? '',
          enabled: i.enabled,
          webhookPath: p.webhook_path,
          secretHint: p.secret_hint,
          outbound: i.outboundEnabled,
          callEvents: i.callEventsEnabled,
          events: i.enabledCallEvents.join(', '),
          strictWindow: i.strictWindow,
          windowHours: i.windowHours,
          destination: i.destinationUrl ?? '—',
        };
      }),
    });
  });
}
