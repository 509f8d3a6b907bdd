import os from 'node:os';
import QRCode from 'qrcode';
import { presentAccount } from '../accounts/account-service.ts';
import type { Module } from '../accounts/account-store.ts';
import type { ApiKeyInfo } from '../accounts/api-key-service.ts';
import type { Container } from '../container.ts';
import type { Instance } from '../instances/instance-store.ts';
import { rotateAdminToken } from '../lib/first-start.ts';
import { GLOBAL_SCOPE, presentSuppression } from '../suppression/suppression-service.ts';
import type { CreateWebhookBody } from '../http/schemas/webhook.schema.ts';
import { presentWebhook } from '../webhooks/webhook-service.ts';
import type { GatewayClient } from './gateway-client.ts';
import { iso, printList } from './output.ts';

/**
 * The CLI's admin commands. Every change goes through the same services as the admin API and the
 * console and is written to the audit log with the operator's OS user as the actor
 * (`alice (cli)`). Commands that need a live WhatsApp connection go to the running gateway.
 */

export type CliValues = Record<string, string | boolean | undefined>;

export interface CliContext {
  c: Container;
  actor: string;
  write: (text: string) => void;
  fail: (message: string) => never;
  gateway: () => Promise<GatewayClient>;
}

/** `alice (cli)`: who is acting, as the audit log shows it. */
export function cliActor(): string {
  let user = process.env.USER ?? 'unknown';
  try {
    user = os.userInfo().username || user;
  } catch {
    // no passwd entry (containers): keep $USER
  }
  return `${user.replace(/[^\p{L}\p{N} ._@-]/gu, '').slice(0, 60) || 'unknown'} (cli)`;
}

export function presentKey(k: ApiKeyInfo): Record<string, unknown> {
  return {
    id: k.id,
    account_id: k.accountId,
    name: k.name,
    prefix: k.prefix,
    created_at: iso(k.createdAt),
    last_used_at: iso(k.lastUsedAt),
    revoked_at: iso(k.revokedAt),
  };
}

export function presentCliInstance(i: Instance): Record<string, unknown> {
  return {
    id: i.id,
    account_id: i.accountId,
    name: i.name,
    state: i.state,
    phone: i.phone,
    paused: i.paused,
    pause_reason: i.pauseReason,
    created_at: iso(i.createdAt),
    updated_at: iso(i.updatedAt),
  };
}

function need(ctx: CliContext, values: CliValues, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v.trim() === '') ctx.fail(`--${name} is required (see: warden help)`);
  return v.trim();
}

function opt(values: CliValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

function modulesOf(raw: string | undefined): Module[] | undefined {
  return raw ? (raw.split(',').map((m) => m.trim()) as Module[]) : undefined;
}

function overrideValue(ctx: CliContext, raw: string | undefined): number | null | undefined {
  if (raw === undefined) return undefined;
  if (raw === 'null') return null;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) ctx.fail('limit overrides must be non-negative integers or null');
  return n;
}

async function printQr(ctx: CliContext, raw: string, expiresAt: string | null, instanceId: string): Promise<void> {
  const art = await QRCode.toString(raw, { type: 'terminal', small: true });
  ctx.write(
    `${art}\nScan with WhatsApp → Linked devices → Link a device` +
      `${expiresAt ? ` before ${expiresAt}` : ''}.\n` +
      `Or open the console: /admin/instances/${instanceId}/link (it follows QR rotation).`,
  );
}

/** Runs one admin command; false when the command is not one of these. */
export async function runAdminCommand(command: string, values: CliValues, ctx: CliContext): Promise<boolean> {
  const { c, actor, write } = ctx;
  const json = values.json === true;
  const note = opt(values, 'note') ?? null;
  const out = (value: unknown) => write(typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  switch (command) {
    // ---------------------------------------------------------------- accounts
    case 'account create': {
      const a = await c.adminActions.createAccount(
        {
          name: need(ctx, values, 'name'),
          plan: need(ctx, values, 'plan'),
          modules: modulesOf(opt(values, 'modules')),
          timezone: opt(values, 'timezone'),
        },
        actor,
        note,
      );
      out(presentAccount(a, c.accounts.limitsFor(a)));
      return true;
    }
    case 'account list': {
      const rows = (await c.accounts.list()).map((a) => presentAccount(a, c.accounts.limitsFor(a)));
      printList(write, rows, ['id', 'name', 'plan', 'plan_active', 'modules', 'timezone', 'created_at'], json);
      return true;
    }
    case 'account update': {
      const active = opt(values, 'active');
      const a = await c.adminActions.updateAccount(
        need(ctx, values, 'id'),
        {
          plan: opt(values, 'plan'),
          plan_active: active === undefined ? undefined : active === 'true',
          modules: modulesOf(opt(values, 'modules')),
          timezone: opt(values, 'timezone'),
          daily_limit_override: overrideValue(ctx, opt(values, 'daily-override')),
          monthly_limit_override: overrideValue(ctx, opt(values, 'monthly-override')),
          override_reason: opt(values, 'reason'),
          override_approved_by: opt(values, 'approved-by'),
        },
        actor,
        note,
      );
      out(presentAccount(a, c.accounts.limitsFor(a)));
      return true;
    }

    // ---------------------------------------------------------------- API keys
    case 'key create': {
      const { key, info } = await c.adminActions.createApiKey(need(ctx, values, 'account'), need(ctx, values, 'name'), actor, note);
      out({ ...presentKey(info), key, note: 'Store this key now: it is shown only once.' });
      return true;
    }
    case 'key list': {
      const account = await c.adminActions.loadAccount(need(ctx, values, 'account'));
      const rows = (await c.apiKeys.list(account.id)).map(presentKey);
      printList(write, rows, ['id', 'name', 'prefix', 'created_at', 'last_used_at', 'revoked_at'], json);
      return true;
    }
    case 'key revoke': {
      const accountId = need(ctx, values, 'account');
      const keyId = need(ctx, values, 'key');
      const existing = await c.apiKeys.get(accountId, keyId);
      if (!existing || existing.revokedAt !== null) ctx.fail('no live key with that id for that account');
      const key = await c.adminActions.revokeApiKey(accountId, keyId, actor, note);
      out({ revoked: true, id: key.id });
      return true;
    }

    // ---------------------------------------------------------------- instances
    case 'instance list': {
      const accountId = opt(values, 'account');
      const rows = (await c.instanceStore.list({ accountId })).map(presentCliInstance);
      printList(write, rows, ['id', 'account_id', 'name', 'state', 'paused', 'created_at'], json);
      return true;
    }
    case 'instance create': {
      const accountId = need(ctx, values, 'account');
      const body: Record<string, unknown> = { name: need(ctx, values, 'name') };
      if (note) body.note = note;
      const res = await (await ctx.gateway()).call('POST', `/admin/api/accounts/${encodeURIComponent(accountId)}/instances`, body);
      const instance = res.instance as Record<string, unknown>;
      const qr = instance.qr as { raw: string; expires_at: string } | null;
      if (json) out({ ...instance, qr: qr ? { raw: qr.raw, expires_at: qr.expires_at } : null });
      else {
        out(`instance ${String(instance.id)} (${String(instance.name)}) created: ${String(instance.state)}`);
        if (qr) await printQr(ctx, qr.raw, qr.expires_at, String(instance.id));
      }
      return true;
    }
    case 'instance qr': {
      const id = need(ctx, values, 'id');
      const instance = await c.adminActions.loadInstance(id);
      const now = c.clock.now().getTime();
      let raw = instance.qrRaw;
      let expires = instance.qrExpiresAt;
      if (instance.state === 'connected') ctx.fail(`instance ${id} is already connected`);
      if (!raw || (expires ?? 0) <= now) {
        const body = note ? { note } : undefined;
        const res = await (await ctx.gateway()).call('POST', `/admin/api/instances/${encodeURIComponent(id)}/qr`, body);
        const qr = (res.instance as { qr: { raw: string; expires_at: string } | null }).qr;
        if (!qr) ctx.fail('the gateway did not return a QR code');
        raw = qr.raw;
        expires = Date.parse(qr.expires_at);
      }
      if (json) out({ id, qr: { raw, expires_at: iso(expires) } });
      else await printQr(ctx, raw as string, iso(expires), id);
      return true;
    }
    case 'instance pause': {
      const i = await c.review.pause(need(ctx, values, 'id'), { reason: need(ctx, values, 'reason'), by: actor });
      out(presentCliInstance(i));
      return true;
    }
    case 'instance resume': {
      const i = await c.review.resume(need(ctx, values, 'id'), { note: need(ctx, values, 'note'), by: actor });
      out(presentCliInstance(i));
      return true;
    }
    case 'instance destroy': {
      const id = need(ctx, values, 'id');
      const res = await (await ctx.gateway()).call('DELETE', `/admin/api/instances/${encodeURIComponent(id)}`, note ? { note } : undefined);
      out({ destroyed: res.destroyed === true, id });
      return true;
    }

    // ---------------------------------------------------------------- webhooks
    case 'webhook list': {
      const accountId = opt(values, 'account');
      const page = { limit: 500, offset: 0 };
      const endpoints = accountId ? await c.webhooks.list(accountId, page) : await c.webhookEndpoints.listAll(page);
      const now = c.clock.now().getTime();
      const rows = endpoints.map((e) => ({ ...presentWebhook(e, now), account_id: e.accountId }));
      printList(write, rows, ['id', 'account_id', 'destination_url', 'events', 'enabled', 'consecutive_failures', 'created_at'], json);
      return true;
    }
    case 'webhook create': {
      const account = await c.adminActions.loadAccount(need(ctx, values, 'account'));
      const events = need(ctx, values, 'events').split(',').map((e) => e.trim()).filter(Boolean);
      const { endpoint, secret } = await c.webhooks.create(account.id, {
        destination_url: need(ctx, values, 'url'),
        // as typed by the operator: the CLI does not check the names (unlike the API's schema)
        events: events as CreateWebhookBody['events'],
        instance_id: opt(values, 'instance') ?? null,
        description: opt(values, 'description') ?? null,
      });
      await c.audit.record(c.db, {
        actor,
        action: 'webhook.created',
        targetType: 'account',
        targetId: account.id,
        note,
        detail: { webhook_id: endpoint.id, destination_url: endpoint.destinationUrl, events },
      });
      out({
        ...presentWebhook(endpoint, c.clock.now().getTime()),
        account_id: account.id,
        secret,
        note: 'Store this signing secret now: it is shown only once.',
      });
      return true;
    }
    case 'webhook delete': {
      const accountId = need(ctx, values, 'account');
      const id = need(ctx, values, 'id');
      await c.webhooks.remove(accountId, id);
      await c.audit.record(c.db, {
        actor,
        action: 'webhook.deleted',
        targetType: 'account',
        targetId: accountId,
        note,
        detail: { webhook_id: id },
      });
      out({ deleted: true, id });
      return true;
    }

    // ---------------------------------------------------------------- suppressions
    case 'suppression list': {
      const accountId = opt(values, 'account');
      const scope = values.global === true ? GLOBAL_SCOPE : (accountId ?? null);
      const rows = (await c.suppressions.list(scope, { limit: 1000, offset: 0 })).map(presentSuppression);
      printList(write, rows, ['id', 'phone', 'scope', 'account_id', 'reason', 'created_by', 'created_at'], json);
      return true;
    }
    case 'suppression add': {
      const { suppression, created } = await c.adminActions.addSuppression(
        { accountId: opt(values, 'account') ?? null, phone: need(ctx, values, 'phone'), note },
        actor,
      );
      out({ ...presentSuppression(suppression), created });
      return true;
    }
    case 'suppression remove': {
      const removed = await c.adminActions.removeSuppression(
        { accountId: opt(values, 'account') ?? null, phone: need(ctx, values, 'phone'), note },
        actor,
      );
      if (!removed) ctx.fail('that number is not on that suppression list');
      out({ removed: true, ...presentSuppression(removed) });
      return true;
    }

    // ---------------------------------------------------------------- admin
    case 'admin token': {
      const token = await rotateAdminToken(c.db, Date.now());
      await c.audit.record(c.db, { actor, action: 'admin.token_rotated', targetType: 'settings', note });
      out({
        admin_token: token,
        note: 'Running nodes switch to the new token within 10 seconds; the previous one stops working.',
      });
      return true;
    }
    default:
      return false;
  }
}
