import express, { type Request, type Response, Router } from 'express';
import type { UpdateAccountInput } from '../../accounts/account-service.ts';
import type { Module } from '../../accounts/account-store.ts';
import type { Container } from '../../container.ts';
import { InvalidInstanceError, NotFoundError, ValidationError } from '../../errors/errors.ts';
import { GLOBAL_SCOPE } from '../../suppression/suppression-service.ts';
import { createConsoleViews, formatDate } from '../admin-console/views.ts';
import { accountLabels, type ConsoleKit } from '../admin-console/console-kit.ts';
import { registerOnboardingPages } from '../admin-console/onboarding-pages.ts';
import { registerPortalUserPages } from '../admin-console/portal-user-pages.ts';
import { registerConsoleSession } from '../admin-console/console-session.ts';
import { registerConsoleAssets } from '../admin-console/console-assets.ts';
import { registerConsoleErrorPages } from '../admin-console/console-error-pages.ts';
import { field, list, validate } from '../forms.ts';
import { dataTable } from '../views/data-table.ts';
import { trendView } from '../views/trend-charts.ts';
import { rateThresholds } from '../views/trend-charts.ts';
import { parseTrendRange, SendTrends } from '../../sending/send-trends.ts';
import { describePublicErrors } from '../../errors/errors.ts';
import { clusterNodes } from '../../cluster/cluster-nodes.ts';
import {
  accountRow,
  auditRow,
  decisionRow,
  evidenceView,
  instanceRow,
  standingView,
  suppressionRow,
  webhookRow,
} from '../admin-console/view-models.ts';
import { handler } from '../middleware/async-handler.ts';
import { adminSuppressionSchema } from '../schemas/suppression.schema.ts';
import { pauseSchema, resumeSchema, updateAccountSchema } from '../schemas/account.schema.ts';

export { LOGIN_CSRF_COOKIE, LOGIN_FAILURES_PER_MINUTE, SESSION_COOKIE } from '../admin-console/console-session.ts';

/** Fixed notices after a redirect (`?notice=`): user text is never reflected through the URL. */
const NOTICES: Record<string, string> = {
  resumed: 'The instance was resumed. The customer was notified (instance.resumed).',
  kept: 'Your decision to keep the instance paused was recorded.',
  paused: 'The instance was paused for review. The customer was notified (instance.paused).',
  account_saved: 'The account was saved.',
  suppression_added: 'The number was blocked.',
  suppression_removed: 'The block was lifted.',
  suppression_missing: 'That number was not on the list.',
  account_created: 'The account was created. Next: create an API key and link a number.',
  key_revoked: 'The API key was revoked. Requests with it now answer 401 revoked_api_key.',
  qr_renewed: 'A new QR code was requested.',
  disconnected: 'The instance was logged out of WhatsApp.',
  destroyed: 'The instance was destroyed. Its message log is kept.',
};

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The compliance console (SPEC §9): server-rendered pages at `/admin`, behind the session and
 * CSRF handling of `console-session.ts`; every change goes through the same services as the
 * admin JSON API and is written to the audit log.
 */
export function adminConsoleRoutes(c: Container): Router {
  const router = Router();
  const views = createConsoleViews();
  const form = express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 60 });
  const trends = new SendTrends(c.db);

  registerConsoleAssets(router);

  const { requireSession, requireCsrf, actor, safeNext } = registerConsoleSession(router, c, views, form, (req) =>
    typeof req.query.notice === 'string' ? (NOTICES[req.query.notice] ?? null) : null,
  );
  const page = (nav: string) => ({ nav: { [nav]: true } });
  const get = (path: string, fn: (req: Request, res: Response) => Promise<void>) =>
    router.get(path, requireSession, handler(fn));
  const post = (path: string, fn: (req: Request, res: Response) => Promise<void>) =>
    router.post(path, form, requireSession, requireCsrf, handler(fn));

  // Names as the console shows them: with the id whenever two accounts share a name.
  const accountNames = async () => accountLabels(await c.accounts.list());
  const trendsFor = async (filter: { accountId?: string; instanceId?: string }, rawRange: unknown, prefix: string) => {
    const t = rateThresholds(c.policies.pause);
    const series = await trends.series(filter, parseTrendRange(rawRange), c.clock.now().getTime(), {
      excludeFailureReasons: t.excludeFailureReasons,
    });
    return trendView(series, c.policies.pause, prefix);
  };
  const loadInstance = async (id: string) => {
    if (!ID.test(id)) throw new InvalidInstanceError();
    const instance = await c.instanceStore.get(id);
    if (!instance || instance.destroyedAt !== null) throw new InvalidInstanceError();
    return instance;
  };

  const kit: ConsoleKit = { c, router, views, get, post, actor, page, field, list, validate };
  registerOnboardingPages(kit);
  registerPortalUserPages(kit);

  // ------------------------------------------------------------------ dashboard

  get('/admin', async (req, res) => {
    const names = await accountNames();
    const paused = await c.instanceStore.list({ paused: true });
    const slowed = await c.autoPause.slowedInstanceIds();
    const pausedViews = await Promise.all(
      paused.map(async (i) => ({
        ...instanceRow(i, { accountName: names.get(i.accountId) ?? null }),
        evidence: evidenceView(i.pauseEvidence),
        decisions: (await c.messages.list({ instanceId: i.id, limit: 10 })).map((m) => ({
          ...decisionRow(m),
          accountName: names.get(m.accountId) ?? m.accountId,
        })),
      })),
    );
    const slowedViews = [];
    for (const [id, throttle] of slowed) {
      const i = await c.instanceStore.get(id);
      if (i && !i.paused) slowedViews.push(instanceRow(i, { accountName: names.get(i.accountId) ?? null, throttle }));
    }
    const endpoints = await c.webhookEndpoints.listAll({ limit: 500, offset: 0 });
    const live = await c.instanceStore.list({ paused: false });
    views.render(res, 'dashboard', {
      ...page('dashboard'),
      title: 'Review queue',
      paused: pausedViews,
      slowed: slowedViews,
      stats: {
        paused: paused.length,
        slowed: slowedViews.length,
        instances: live.length + paused.length,
        accounts: names.size,
        webhooksDisabled: endpoints.filter((e) => !e.enabled).length,
        webhooksFailing: endpoints.filter((e) => e.enabled && e.consecutiveFailures > 0).length,
      },
      audit: (await c.audit.list({ limit: 8 })).map(auditRow),
      trends: await trendsFor({}, req.query.range, 'gateway'),
    });
  });

  // ------------------------------------------------------------------ instances

  get('/admin/instances', async (req, res) => {
    const raw = req.query.account_id;
    const accountId = typeof raw === 'string' && ID.test(raw) ? raw : undefined;
    const names = await accountNames();
    const slowed = await c.autoPause.slowedInstanceIds();
    const items = await c.instanceStore.list({ accountId });
    views.render(res, 'instances', {
      ...page('instances'),
      title: 'Instances',
      accountFilter: accountId ? (names.get(accountId) ?? accountId) : null,
      instances: items.map((i) =>
        instanceRow(i, { accountName: names.get(i.accountId) ?? null, throttle: slowed.get(i.id) ?? null }),
      ),
    });
  });

  get('/admin/instances/:id', async (req, res) => {
    const instance = await loadInstance(String(req.params.id));
    const names = await accountNames();
    const standing = await c.autoPause.standing(instance.id);
    views.render(res, 'instance', {
      ...page('instances'),
      title: instance.name,
      instance: instanceRow(instance, { accountName: names.get(instance.accountId) ?? null, throttle: standing.throttle }),
      trends: await trendsFor({ instanceId: instance.id }, req.query.range, 'instance'),
      evidence: evidenceView(instance.pauseEvidence),
      standing: standingView(standing),
      decisions: (await c.messages.list({ instanceId: instance.id, limit: 30 })).map((m) => ({
        ...decisionRow(m),
        accountName: names.get(m.accountId) ?? m.accountId,
      })),
      audit: (await c.audit.list({ limit: 20, targetId: instance.id })).map(auditRow),
    });
  });

  post('/admin/instances/:id/pause', async (req, res) => {
    const instance = await loadInstance(String(req.params.id));
    const reason = field(req.body, 'reason').trim();
    validate(pauseSchema, { reason });
    await c.review.pause(instance.id, { reason, by: actor(res) });
    res.redirect(303, `/admin/instances/${encodeURIComponent(instance.id)}?notice=paused`);
  });
  post('/admin/instances/:id/resume', async (req, res) => {
    const instance = await loadInstance(String(req.params.id));
    const note = field(req.body, 'note').trim();
    validate(resumeSchema, { note });
    await c.review.resume(instance.id, { note, by: actor(res) });
    res.redirect(303, '/admin?notice=resumed');
  });
  post('/admin/instances/:id/keep-paused', async (req, res) => {
    const instance = await loadInstance(String(req.params.id));
    const note = field(req.body, 'note').trim();
    validate(resumeSchema, { note });
    await c.review.keepPaused(instance.id, { note, by: actor(res) });
    res.redirect(303, `/admin/instances/${encodeURIComponent(instance.id)}?notice=kept`);
  });

  // ------------------------------------------------------------------ decision log

  const errorCodes = describePublicErrors()
    .map((e) => e.code)
    .filter((code) => code !== 'internal_error');
  get('/admin/decisions', async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const pick = (name: string, re: RegExp) => (typeof q[name] === 'string' && re.test(q[name]) ? q[name] : undefined);
    const instanceId = pick('instance_id', ID);
    const accountId = pick('account_id', ID);
    const outcome = q.outcome === 'allowed' || q.outcome === 'blocked' ? q.outcome : undefined;
    const errorCode = pick('code', /^[a-z_]{1,60}$/);
    const from = pick('from', /^\d{4}-\d{2}-\d{2}$/);
    const to = pick('to', /^\d{4}-\d{2}-\d{2}$/);
    const day = (d: string | undefined, end: boolean) => {
      if (!d) return undefined;
      const t = Date.parse(`${d}T00:00:00Z`);
      return Number.isNaN(t) ? undefined : end ? t + 86_400_000 : t;
    };
    const before = typeof q.before === 'string' && /^\d{1,15}$/.test(q.before) ? Number(q.before) : undefined;
    const items = await c.messages.list({
      instanceId,
      accountId,
      outcome,
      errorCode,
      createdFrom: day(from, false),
      createdBefore: day(to, true),
      limit: 50,
      beforeId: before,
    });
    const last = items.at(-1);
    const names = await accountNames();
    const instances = await c.instanceStore.list({ accountId });
    const filter = {
      accountId: accountId ?? '',
      instanceId: instanceId ?? '',
      outcome: outcome ?? '',
      code: errorCode ?? '',
      from: from ?? '',
      to: to ?? '',
    };
    const query = new URLSearchParams(Object.entries(filter).filter(([, v]) => v !== ''));
    views.render(res, 'decisions', {
      ...page('decisions'),
      title: 'Decision log',
      filter,
      accounts: [...names.entries()].map(([id, name]) => ({ id, name, selected: id === accountId })),
      instances: instances.map((i) => ({
        id: i.id,
        name: `${i.name} · ${names.get(i.accountId) ?? i.accountId}`,
        selected: i.id === instanceId,
      })),
      codes: errorCodes.map((code) => ({ code, selected: code === errorCode })),
      decisions: items.map((m) => ({ ...decisionRow(m), accountName: names.get(m.accountId) ?? m.accountId })),
      nextQuery: items.length === 50 && last ? `${query.toString()}${query.size ? '&' : ''}before=${last.id}` : null,
    });
  });

  // ------------------------------------------------------------------ accounts

  get('/admin/accounts', async (_req, res) => {
    const accounts = await c.accounts.list();
    const instances = await c.instanceStore.list();
    const counts = new Map<string, { instances: number; paused: number }>();
    for (const i of instances) {
      const n = counts.get(i.accountId) ?? { instances: 0, paused: 0 };
      n.instances += 1;
      if (i.paused) n.paused += 1;
      counts.set(i.accountId, n);
    }
    const labels = accountLabels(accounts);
    const rows = accounts.map((a) => ({
      ...accountRow(a, c.accounts.limitsFor(a), counts.get(a.id)),
      label: labels.get(a.id) ?? a.name,
    }));
    views.render(res, 'accounts', {
      ...page('accounts'),
      title: 'Accounts',
      table: dataTable(
        rows,
        [
          { label: 'Account', cell: (a) => ({ text: a.name, href: `/admin/accounts/${a.id}`, sub: a.id }) },
          {
            label: 'Plan',
            cell: (a) => ({ text: a.plan, badge: a.active ? 'active' : 'inactive', badgeClass: a.active ? 'green' : 'red' }),
          },
          { label: 'Modules', cell: (a) => a.modules },
          { label: 'Daily / monthly', cell: (a) => ({ text: `${a.daily} / ${a.monthly}`, className: 'num' }) },
          {
            label: 'Override',
            cell: (a) =>
              a.hasOverride
                ? { text: `by ${a.overrideApprovedBy ?? '—'}: ${a.overrideReason ?? ''}`, badge: 'reviewed', badgeClass: 'blue', className: 'small' }
                : '—',
          },
          {
            label: 'Instances',
            cell: (a) => ({ text: String(a.instances), ...(a.paused ? { badge: `${a.paused} paused`, badgeClass: 'red' } : {}) }),
          },
          { label: 'Time zone', cell: (a) => a.timezone },
        ],
        { empty: 'No accounts yet.', className: 'accounts', id: (a) => a.id },
      ),
    });
  });

  get('/admin/accounts/:id', async (req, res) => {
    const id = String(req.params.id);
    if (!ID.test(id)) throw new NotFoundError(undefined, 'No account with this id exists.');
    const account = await c.adminActions.loadAccount(id);
    const names = await accountNames();
    const instances = await c.instanceStore.list({ accountId: account.id });
    const keys = await c.apiKeys.list(account.id);
    const slowed = await c.autoPause.slowedInstanceIds();
    views.render(res, 'account', {
      ...page('accounts'),
      title: account.name,
      label: names.get(account.id) ?? account.name,
      trends: await trendsFor({ accountId: account.id }, req.query.range, 'account'),
      account: accountRow(account, c.accounts.limitsFor(account), {
        instances: instances.length,
        paused: instances.filter((i) => i.paused).length,
      }),
      plans: Object.entries(c.policies.plans.plans).map(([planId, p]) => ({
        id: planId,
        name: p.name,
        daily: p.daily_limit,
        monthly: p.monthly_limit,
        selected: planId === account.plan,
      })),
      modules: (['api', 'threecx'] as const).map((m) => ({ id: m, checked: account.modules.includes(m) })),
      instances: instances.map((i) =>
        instanceRow(i, { accountName: account.name, throttle: slowed.get(i.id) ?? null }),
      ),
      keys: keys.map((k) => ({
        id: k.id,
        name: k.name,
        prefix: k.prefix,
        createdAt: formatDate(k.createdAt),
        lastUsedAt: formatDate(k.lastUsedAt),
        revoked: k.revokedAt !== null,
        revokedAt: formatDate(k.revokedAt),
      })),
      suppressions: (await c.suppressions.list(account.id, { limit: 20, offset: 0 })).map((s) =>
        suppressionRow(s, names),
      ),
      audit: (await c.audit.list({ limit: 15, targetId: account.id })).map(auditRow),
    });
  });

  post('/admin/accounts/:id', async (req, res) => {
    const id = String(req.params.id);
    if (!ID.test(id)) throw new NotFoundError(undefined, 'No account with this id exists.');
    const account = await c.adminActions.loadAccount(id);
    const b = req.body;
    const input: UpdateAccountInput = {};
    const plan = field(b, 'plan');
    if (plan) input.plan = plan;
    input.plan_active = field(b, 'plan_active') === 'on';
    input.modules = list(b, 'modules').filter((m): m is Module => m === 'api' || m === 'threecx');
    const timezone = field(b, 'timezone').trim();
    if (timezone) input.timezone = timezone;
    const override = (name: string, errors: { field: string; reason: string }[]): number | null => {
      const raw = field(b, name).trim();
      if (raw === '') return null;
      if (!/^\d{1,8}$/.test(raw)) {
        errors.push({ field: `/${name}`, reason: 'must be a whole number, or empty for the plan limit' });
        return null;
      }
      return Number(raw);
    };
    const errors: { field: string; reason: string }[] = [];
    const daily = override('daily_limit_override', errors);
    const monthly = override('monthly_limit_override', errors);
    if (errors.length > 0) throw new ValidationError({ errors });
    // Only a changed override is a new reviewed decision needing its reason and approver.
    if (daily !== account.dailyLimitOverride) input.daily_limit_override = daily;
    if (monthly !== account.monthlyLimitOverride) input.monthly_limit_override = monthly;
    const reason = field(b, 'override_reason').trim();
    const approvedBy = field(b, 'override_approved_by').trim();
    if (reason) input.override_reason = reason;
    if (approvedBy) input.override_approved_by = approvedBy;
    validate(updateAccountSchema, input as Record<string, unknown>);
    const note = field(b, 'note').trim().slice(0, 1000) || null;
    await c.adminActions.updateAccount(account.id, input, actor(res), note);
    res.redirect(303, `/admin/accounts/${encodeURIComponent(account.id)}?notice=account_saved`);
  });

  // ------------------------------------------------------------------ suppressions

  get('/admin/suppressions', async (req, res) => {
    const scopeParam = typeof req.query.scope === 'string' ? req.query.scope : '';
    const scope = scopeParam === 'global' ? GLOBAL_SCOPE : ID.test(scopeParam) ? scopeParam : null;
    const names = await accountNames();
    const items = await c.suppressions.list(scope, { limit: 200, offset: 0 });
    views.render(res, 'suppressions', {
      ...page('suppressions'),
      title: 'Suppressions',
      scope: scopeParam,
      accounts: [...names.entries()].map(([id, name]) => ({ id, name, selected: id === scopeParam })),
      suppressions: items.map((s) => suppressionRow(s, names)),
    });
  });

  post('/admin/suppressions', async (req, res) => {
    const accountId = field(req.body, 'account_id') || null;
    const data: Record<string, unknown> = { phone: field(req.body, 'phone').trim(), account_id: accountId };
    const note = field(req.body, 'note').trim();
    if (note) data.note = note;
    validate(adminSuppressionSchema, data);
    await c.adminActions.addSuppression(
      { accountId, phone: String(data.phone), note: note || null },
      actor(res),
    );
    const scope = accountId ? `&scope=${encodeURIComponent(accountId)}` : '';
    res.redirect(303, `/admin/suppressions?notice=suppression_added${scope}`);
  });

  post('/admin/suppressions/remove', async (req, res) => {
    const accountId = field(req.body, 'account_id') || null;
    const data: Record<string, unknown> = { phone: field(req.body, 'phone').trim(), account_id: accountId };
    const note = field(req.body, 'note').trim();
    if (note) data.note = note;
    validate(adminSuppressionSchema, data);
    const removed = await c.adminActions.removeSuppression(
      { accountId, phone: String(data.phone), note: note || null },
      actor(res),
    );
    res.redirect(303, `/admin/suppressions?notice=${removed ? 'suppression_removed' : 'suppression_missing'}`);
  });

  // ------------------------------------------------------------------ webhooks, audit

  get('/admin/webhooks', async (_req, res) => {
    const names = await accountNames();
    const endpoints = await c.webhookEndpoints.listAll({ limit: 500, offset: 0 });
    const rank = (e: { enabled: boolean; consecutiveFailures: number }) =>
      !e.enabled ? 0 : e.consecutiveFailures > 0 ? 1 : 2;
    endpoints.sort((a, b) => rank(a) - rank(b) || b.consecutiveFailures - a.consecutiveFailures);
    views.render(res, 'webhooks', {
      ...page('webhooks'),
      title: 'Webhook health',
      endpoints: endpoints.map((e) => webhookRow(e, names)),
    });
  });

  get('/admin/nodes', async (_req, res) => {
    const nodes = await clusterNodes(c);
    views.render(res, 'nodes', {
      ...page('nodes'),
      title: 'Nodes',
      nodes: nodes.map((n) => ({ ...n, lastHeartbeat: `${n.last_heartbeat_at.slice(0, 19).replace('T', ' ')} UTC` })),
    });
  });

  get('/admin/audit', async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const before = typeof q.before === 'string' && /^\d{1,15}$/.test(q.before) ? Number(q.before) : undefined;
    const target = q.target_id;
    const targetId = typeof target === 'string' && /^[A-Za-z0-9_-]{1,80}$/.test(target) ? target : undefined;
    const entries = await c.audit.list({ limit: 50, beforeId: before, targetId });
    const last = entries.at(-1);
    views.render(res, 'audit', {
      ...page('audit'),
      title: 'Audit log',
      targetId: targetId ?? '',
      entries: entries.map(auditRow),
      nextBefore: entries.length === 50 && last ? last.id : null,
    });
  });

  registerConsoleErrorPages(router, views, safeNext);
  return router;
}
