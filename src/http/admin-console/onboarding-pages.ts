import type { Request, Response } from 'express';
import QRCode from 'qrcode';
import type { CreateAccountInput } from '../../accounts/account-service.ts';
import type { Module } from '../../accounts/account-store.ts';
import { ValidationError } from '../../errors/errors.ts';
import type { Instance } from '../../instances/instance-store.ts';
import { maskPhone } from '../../lib/logger.ts';
import { SandboxTransport } from '../../transport/sandbox/sandbox-transport.ts';
import { createAccountSchema, createApiKeySchema } from '../schemas/account.schema.ts';
import { createInstanceSchema } from '../schemas/instance.schema.ts';
import { accountLabels, type ConsoleKit, noteOf } from './console-kit.ts';
import { formatDate } from './views.ts';

/**
 * Day-one work in the console: create an account, create and revoke API keys, link a number
 * (QR that follows WhatsApp's rotation, or a pairing code), disconnect and destroy. Every change
 * goes through AdminActions, which writes the audit entry with the admin's note.
 */

/** The link state the QR page polls (`/admin/assets/console.js`). */
export async function linkState(instance: Instance, now: number): Promise<Record<string, unknown>> {
  const qrLive = instance.state === 'qr_generated' && instance.qrRaw !== null && (instance.qrExpiresAt ?? 0) > now;
  return {
    state: instance.state,
    connected: instance.state === 'connected',
    phone: instance.phone ? maskPhone(instance.phone) : null,
    qr: qrLive
      ? {
          png_data_url: await QRCode.toDataURL(instance.qrRaw as string, { margin: 1, width: 288 }),
          expires_at: new Date(instance.qrExpiresAt as number).toISOString(),
          expires: formatDate(instance.qrExpiresAt),
        }
      : null,
    qr_expired: instance.state === 'expired' || (instance.state === 'qr_generated' && !qrLive),
  };
}

function checkConfirmation(kit: ConsoleKit, body: unknown, instance: Instance): void {
  if (kit.field(body, 'confirm').trim() !== instance.name)
    throw new ValidationError({
      errors: [{ field: '/confirm', reason: `type the instance name "${instance.name}" exactly to confirm` }],
    });
}

export function registerOnboardingPages(kit: ConsoleKit): void {
  const { c, views, get, post, actor, page, field, list, validate } = kit;
  const sandbox = c.transport instanceof SandboxTransport ? c.transport : null;
  const now = () => c.clock.now().getTime();
  const plans = (selected: string) =>
    Object.entries(c.policies.plans.plans).map(([id, p]) => ({
      id,
      name: p.name,
      daily: p.daily_limit,
      monthly: p.monthly_limit,
      selected: id === selected,
    }));
  const instancePath = (id: string, suffix = '') => `/admin/instances/${encodeURIComponent(id)}${suffix}`;

  // ------------------------------------------------------------------ accounts

  get('/admin/accounts/new', async (_req, res) => {
    views.render(res, 'account-new', {
      ...page('accounts'),
      title: 'New account',
      plans: plans('starter'),
      modules: [
        { id: 'api', checked: true },
        { id: 'threecx', checked: false },
      ],
      timezone: 'UTC',
    });
  });

  post('/admin/accounts', async (req, res) => {
    const b = req.body;
    const input: Record<string, unknown> = {
      name: field(b, 'name').trim(),
      plan: field(b, 'plan'),
      plan_active: true,
      modules: list(b, 'modules').filter((m): m is Module => m === 'api' || m === 'threecx'),
      timezone: field(b, 'timezone').trim() || 'UTC',
    };
    const country = field(b, 'default_country').trim().toUpperCase();
    if (country) input.default_country = country;
    validate(createAccountSchema, input);
    const account = await c.adminActions.createAccount(input as unknown as CreateAccountInput, actor(res), noteOf(kit, b));
    res.redirect(303, `/admin/accounts/${encodeURIComponent(account.id)}?notice=account_created`);
  });

  // ------------------------------------------------------------------ API keys

  post('/admin/accounts/:id/keys', async (req, res) => {
    const name = field(req.body, 'name').trim();
    validate(createApiKeySchema, { name });
    const { key, info } = await c.adminActions.createApiKey(String(req.params.id), name, actor(res), noteOf(kit, req.body));
    const account = await c.adminActions.loadAccount(info.accountId);
    // Rendered, not redirected: the key appears once, in this response only.
    views.render(
      res,
      'key-created',
      {
        ...page('accounts'),
        title: 'API key created',
        account: { id: account.id, name: account.name },
        key,
        origin: `${req.protocol}://${req.get('host') ?? 'localhost'}`,
        info: { id: info.id, name: info.name, prefix: info.prefix, createdAt: formatDate(info.createdAt) },
        firstInstance: (await c.instanceStore.list({ accountId: account.id })).length === 0,
      },
      201,
    );
  });

  post('/admin/accounts/:id/keys/:keyId/revoke', async (req, res) => {
    const accountId = String(req.params.id);
    await c.adminActions.revokeApiKey(accountId, String(req.params.keyId), actor(res), noteOf(kit, req.body));
    res.redirect(303, `/admin/accounts/${encodeURIComponent(accountId)}?notice=key_revoked#keys`);
  });

  // ------------------------------------------------------------------ linking a number

  post('/admin/accounts/:id/instances', async (req, res) => {
    const input: Record<string, unknown> = { name: field(req.body, 'name').trim() };
    const country = field(req.body, 'default_country').trim().toUpperCase();
    if (country) input.default_country = country;
    validate(createInstanceSchema, input);
    const instance = await c.adminActions.createInstance(
      String(req.params.id),
      input as { name: string; default_country?: string },
      actor(res),
      noteOf(kit, req.body),
    );
    res.redirect(303, instancePath(instance.id, '/link'));
  });

  const renderLink = async (res: Response, instance: Instance, extra: Record<string, unknown> = {}, status = 200) => {
    const accountName = accountLabels(await c.accounts.list()).get(instance.accountId) ?? instance.accountId;
    views.render(
      res,
      'instance-link',
      {
        ...page('instances'),
        title: `Link ${instance.name}`,
        instance: { id: instance.id, name: instance.name, accountId: instance.accountId, accountName },
        link: await linkState(instance, now()),
        sandbox: sandbox !== null,
        ...extra,
      },
      status,
    );
  };

  get('/admin/instances/:id/link', async (req, res) => {
    await renderLink(res, await c.adminActions.loadInstance(String(req.params.id)));
  });

  // Polled by the QR page every two seconds: the state and the current QR (WhatsApp rotates it).
  get('/admin/instances/:id/link-state', async (req, res) => {
    const instance = await c.adminActions.loadInstance(String(req.params.id));
    res.setHeader('Cache-Control', 'no-store');
    res.json({ success: true, ...(await linkState(instance, now())) });
  });

  post('/admin/instances/:id/qr', async (req, res) => {
    const instance = await c.adminActions.regenerateQr(String(req.params.id), actor(res), noteOf(kit, req.body));
    res.redirect(303, instancePath(instance.id, '/link?notice=qr_renewed'));
  });

  post('/admin/instances/:id/pairing-code', async (req: Request, res: Response) => {
    const id = String(req.params.id);
    const phone = field(req.body, 'phone').trim();
    if (!/^\+?[\d\s().-]{6,32}$/.test(phone))
      throw new ValidationError({ errors: [{ field: '/phone', reason: 'must be the phone number of the WhatsApp account to link' }] });
    const code = await c.adminActions.requestPairingCode(id, phone, actor(res), noteOf(kit, req.body));
    await renderLink(res, await c.adminActions.loadInstance(id), {
      pairingCode: `${code.slice(0, 4)}-${code.slice(4)}`,
    });
  });

  if (sandbox) {
    // Sandbox only: the simulated phone scans the QR shown on the page.
    post('/admin/instances/:id/sandbox-scan', async (req, res) => {
      const instance = await c.adminActions.loadInstance(String(req.params.id));
      await sandbox.scan(instance.id);
      await c.audit.record(c.db, {
        actor: actor(res),
        action: 'instance.sandbox_scanned',
        targetType: 'instance',
        targetId: instance.id,
        note: noteOf(kit, req.body),
        detail: { account_id: instance.accountId },
      });
      res.redirect(303, instancePath(instance.id, '/link'));
    });
  }

  post('/admin/instances/:id/disconnect', async (req, res) => {
    const instance = await c.adminActions.loadInstance(String(req.params.id));
    checkConfirmation(kit, req.body, instance);
    await c.adminActions.disconnectInstance(instance.id, actor(res), noteOf(kit, req.body));
    res.redirect(303, instancePath(instance.id, '?notice=disconnected'));
  });

  post('/admin/instances/:id/destroy', async (req, res) => {
    const instance = await c.adminActions.loadInstance(String(req.params.id));
    checkConfirmation(kit, req.body, instance);
    await c.adminActions.destroyInstance(instance.id, actor(res), noteOf(kit, req.body));
    res.redirect(303, '/admin/instances?notice=destroyed');
  });
}
