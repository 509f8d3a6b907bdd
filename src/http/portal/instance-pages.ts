import type { Response } from 'express';
import { ValidationError } from '../../errors/errors.ts';
import type { Instance } from '../../instances/instance-store.ts';
import { normalizePhoneOrReject } from '../../lib/phone.ts';
import { SandboxTransport } from '../../transport/sandbox/sandbox-transport.ts';
import { linkState } from '../admin-console/onboarding-pages.ts';
import { formatDate } from '../admin-console/views.ts';
import { createInstanceSchema } from '../schemas/instance.schema.ts';
import { accountIdOf, audit, field, type PortalKit, validate } from './portal-kit.ts';
import { decisionView } from './log-pages.ts';

export function instanceView(i: Instance): Record<string, unknown> {
  return {
    id: i.id,
    name: i.name,
    state: i.state,
    connected: i.state === 'connected',
    phone: i.phone ?? '—',
    paused: i.paused,
    pauseReason: i.pauseReason,
    pausedAt: formatDate(i.pausedAt),
    createdAt: formatDate(i.createdAt),
    defaultCountry: i.defaultCountry ?? '—',
  };
}

/**
 * Instances: create, link by QR (the page follows WhatsApp's rotation through `link-state`) or
 * pairing code, disconnect, destroy, and the paused state with its public reason. Every lookup
 * goes through InstanceService.getForAccount, so another account's instance answers 404.
 */
export function registerInstancePages(kit: PortalKit): void {
  const { c, views, get, post, page } = kit;
  const sandbox = c.transport instanceof SandboxTransport ? c.transport : null;
  const now = () => c.clock.now().getTime();
  const load = (res: Response, id: string) => c.instances.getForAccount(accountIdOf(res), id);
  const at = (id: string, suffix = '') => `/portal/instances/${encodeURIComponent(id)}${suffix}`;

  get('/portal/instances', async (_req, res) => {
    const items = await c.instanceStore.listForAccount(accountIdOf(res));
    views.render(res, 'instances', { ...page('instances'), title: 'Instances', instances: items.map(instanceView) });
  });

  post('/portal/instances', 'manage', async (req, res) => {
    const input: Record<string, unknown> = { name: field(req.body, 'name').trim() };
    const country = field(req.body, 'default_country').trim().toUpperCase();
    if (country) input.default_country = country;
    validate(createInstanceSchema, input);
    const instance = await c.instances.create(accountIdOf(res), input as { name: string; default_country?: string });
    await audit(c, res, { action: 'instance.created', targetType: 'instance', targetId: instance.id, detail: { name: instance.name } });
    res.redirect(303, at(instance.id));
  });

  const renderInstance = async (res: Response, instance: Instance, extra: Record<string, unknown> = {}) => {
    views.render(res, 'instance', {
      ...page('instances'),
      title: instance.name,
      instance: instanceView(instance),
      link: await linkState(instance, now()),
      sandbox: sandbox !== null,
      decisions: (await c.messages.list({ accountId: accountIdOf(res), instanceId: instance.id, limit: 10 })).map((m) =>
        decisionView(c, m),
      ),
      ...extra,
    });
  };

  get('/portal/instances/:id', async (req, res) => {
    await renderInstance(res, await load(res, String(req.params.id)));
  });

  get('/portal/instances/:id/link-state', async (req, res) => {
    const instance = await load(res, String(req.params.id));
    res.setHeader('Cache-Control', 'no-store');
    res.json({ success: true, ...(await linkState(instance, now())) });
  });

  post('/portal/instances/:id/qr', 'manage', async (req, res) => {
    const instance = await c.instances.regenerateQr(accountIdOf(res), String(req.params.id));
    await audit(c, res, { action: 'instance.qr_regenerated', targetType: 'instance', targetId: instance.id });
    res.redirect(303, at(instance.id));
  });

  post('/portal/instances/:id/pairing-code', 'manage', async (req, res) => {
    const instance = await load(res, String(req.params.id));
    const raw = field(req.body, 'phone').trim();
    if (!/^\+?[\d\s().-]{6,32}$/.test(raw))
      throw new ValidationError({ errors: [{ field: '/phone', reason: 'must be the phone number of the WhatsApp account to link' }] });
    const phone = normalizePhoneOrReject(raw, instance.defaultCountry ?? portalDefaultCountry(res));
    const code = await c.instances.requestPairingCode(accountIdOf(res), instance.id, phone);
    await audit(c, res, { action: 'instance.pairing_code_requested', targetType: 'instance', targetId: instance.id });
    await renderInstance(res, await load(res, instance.id), { pairingCode: `${code.slice(0, 4)}-${code.slice(4)}` });
  });

  if (sandbox) {
    // Sandbox only: the simulated phone scans the QR shown on the page.
    post('/portal/instances/:id/sandbox-scan', 'manage', async (req, res) => {
      const instance = await load(res, String(req.params.id));
      await sandbox.scan(instance.id);
      await audit(c, res, { action: 'instance.sandbox_scanned', targetType: 'instance', targetId: instance.id });
      res.redirect(303, at(instance.id));
    });
  }

  const confirm = (body: unknown, instance: Instance) => {
    if (field(body, 'confirm').trim() !== instance.name)
      throw new ValidationError({ errors: [{ field: '/confirm', reason: `type the instance name "${instance.name}" exactly to confirm` }] });
  };

  post('/portal/instances/:id/disconnect', 'manage', async (req, res) => {
    const instance = await load(res, String(req.params.id));
    confirm(req.body, instance);
    await c.instances.disconnect(accountIdOf(res), instance.id);
    await audit(c, res, { action: 'instance.disconnected', targetType: 'instance', targetId: instance.id });
    res.redirect(303, at(instance.id, '?notice=instance_disconnected'));
  });

  post('/portal/instances/:id/destroy', 'manage', async (req, res) => {
    const instance = await load(res, String(req.params.id));
    confirm(req.body, instance);
    await c.instances.destroy(accountIdOf(res), instance.id);
    await audit(c, res, { action: 'instance.destroyed', targetType: 'instance', targetId: instance.id, detail: { name: instance.name } });
    res.redirect(303, '/portal/instances?notice=instance_destroyed');
  });
}

function portalDefaultCountry(res: Response): string | null {
  return (res.locals.portal as { account: { defaultCountry: string | null } }).account.defaultCountry;
}
