import type { Request } from 'express';
import type { Container } from '../../container.ts';
import { describePublicErrors, NotFoundError } from '../../errors/errors.ts';
import { MESSAGE_TYPES } from '../../transport/transport.ts';
import type { InboundRecord } from '../../inbound/inbound-log.ts';
import type { MessageQuery, MessageRecord } from '../../sending/message-log.ts';
import { formatDate } from '../admin-console/views.ts';
import { accountIdOf, ID, type PortalKit } from './portal-kit.ts';

const PAGE = 50;
const ERROR_MESSAGES = new Map(describePublicErrors().map((e) => [e.code, e.message]));

/** Why a send was refused, in words: the public error, the deciding check, each rule with its evidence. */
export function decisionView(c: Container, m: MessageRecord): Record<string, unknown> {
  const descriptions = new Map(c.policies.risk.rules.map((r) => [r.id, r.description ?? '']));
  const refused = m.outcome === 'blocked';
  const classifier = m.riskRules.find((r) => c.policies.risk.rules.find((x) => x.id === r.id)?.kind === 'classifier');
  return {
    id: m.id,
    at: formatDate(m.createdAt),
    instanceId: m.instanceId ?? '—',
    recipient: m.recipient ?? '—',
    purpose: m.purpose ?? '—',
    status: m.status,
    outcome: m.outcome,
    refused,
    failed: m.status === 'failed',
    error: m.errorCode ?? '',
    errorMessage: m.errorCode ? (ERROR_MESSAGES.get(m.errorCode) ?? '') : '',
    check: m.decidingCheck ?? '',
    riskScore: m.riskScore ?? '—',
    flagged: m.flagged,
    rules: m.riskRules.map((r) => ({
      id: r.id,
      weight: r.weight,
      evidence: r.evidence ?? '',
      description: descriptions.get(r.id) ?? '',
    })),
    classifier: classifierView(classifier?.evidence),
    failureReason: m.failureReason ?? '',
    text: m.text ?? (m.mediaType ? `[${m.mediaType}]` : ''),
    source: m.source,
    reference: m.reference ?? '',
  };
}

/** The classifier rule's evidence (`marketing 0.97: word "sale", rule urgency_cta`), in parts. */
function classifierView(evidence: string | undefined): Record<string, string> | null {
  if (!evidence) return null;
  const m = /^(\S+) (\d(?:\.\d+)?): (.*)$/.exec(evidence);
  return m ? { intent: m[1] as string, probability: m[2] as string, signals: m[3] as string } : { intent: evidence, probability: '', signals: '' };
}

function dayStart(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

function inboundView(r: InboundRecord): Record<string, unknown> {
  return {
    id: r.id,
    at: formatDate(r.receivedAt),
    instanceId: r.instanceId,
    from: r.fromPhone ?? r.fromLid ?? '—',
    chat: r.isGroup ? 'group' : 'direct',
    type: r.messageType,
    text: r.text ?? '',
    classification: r.classification ?? '',
  };
}

/** The decision log (with every refusal's explanation) and the inbound log, filtered and paged. */
export function registerLogPages(kit: PortalKit): void {
  const { c, views, get, page } = kit;
  const q = (req: Request) => req.query as Record<string, unknown>;
  const str = (v: unknown, re: RegExp) => (typeof v === 'string' && re.test(v) ? v : undefined);

  get('/portal/messages', async (req, res) => {
    const accountId = accountIdOf(res);
    const query = q(req);
    const from = dayStart(query.from);
    const to = dayStart(query.to);
    const filter: MessageQuery = {
      accountId,
      instanceId: str(query.instance_id, ID),
      outcome: query.outcome === 'allowed' || query.outcome === 'blocked' ? query.outcome : undefined,
      errorCode: str(query.code, /^[a-z_]{1,64}$/),
      createdFrom: from,
      createdBefore: to === undefined ? undefined : to + 86_400_000,
      beforeId: str(query.before, /^\d{1,15}$/) ? Number(query.before) : undefined,
      limit: PAGE,
    };
    const items = await c.messages.list(filter);
    const instances = await c.instanceStore.listForAccount(accountId);
    const last = items.at(-1);
    const params = new URLSearchParams();
    for (const k of ['instance_id', 'outcome', 'code', 'from', 'to'] as const) {
      const v = query[k];
      if (typeof v === 'string' && v) params.set(k, v);
    }
    if (last && items.length === PAGE) params.set('before', String(last.id));
    views.render(res, 'messages', {
      ...page('messages'),
      title: 'Messages',
      filter: {
        instanceId: filter.instanceId ?? '',
        outcome: filter.outcome ?? '',
        code: filter.errorCode ?? '',
        from: from === undefined ? '' : String(query.from),
        to: to === undefined ? '' : String(query.to),
      },
      instances: instances.map((i) => ({ id: i.id, name: i.name, selected: i.id === filter.instanceId })),
      codes: [...ERROR_MESSAGES.keys()].sort().map((code) => ({ code, selected: code === filter.errorCode })),
      decisions: items.map((m) => decisionView(c, m)),
      next: last && items.length === PAGE ? `/portal/messages?${params.toString()}` : null,
    });
  });

  get('/portal/messages/:id', async (req, res) => {
    const raw = String(req.params.id);
    const m = /^\d{1,15}$/.test(raw) ? await c.messages.get(Number(raw), accountIdOf(res)) : null;
    if (!m) throw new NotFoundError(undefined, 'No message with this log id exists in your account.');
    views.render(res, 'message', { ...page('messages'), title: `Message #${m.id}`, m: decisionView(c, m) });
  });

  get('/portal/inbound', async (req, res) => {
    const accountId = accountIdOf(res);
    const query = q(req);
    const from = dayStart(query.from);
    const to = dayStart(query.to);
    const instanceId = str(query.instance_id, ID);
    const type = str(query.type, new RegExp(`^(${MESSAGE_TYPES.join('|')})$`));
    const items = await c.inboundLog.list({
      accountId,
      instanceId,
      messageType: type,
      since: from,
      until: to === undefined ? undefined : to + 86_400_000,
      beforeId: str(query.before, /^\d{1,15}$/) ? Number(query.before) : undefined,
      limit: PAGE,
    });
    const instances = await c.instanceStore.listForAccount(accountId);
    const last = items.at(-1);
    const params = new URLSearchParams();
    for (const k of ['instance_id', 'type', 'from', 'to'] as const) {
      const v = query[k];
      if (typeof v === 'string' && v) params.set(k, v);
    }
    if (last) params.set('before', String(last.id));
    views.render(res, 'inbound', {
      ...page('inbound'),
      title: 'Inbound messages',
      filter: { instanceId: instanceId ?? '', type: type ?? '', from: from === undefined ? '' : String(query.from), to: to === undefined ? '' : String(query.to) },
      instances: instances.map((i) => ({ id: i.id, name: i.name, selected: i.id === instanceId })),
      types: MESSAGE_TYPES.map((t) => ({ id: t, selected: t === type })),
      messages: items.map(inboundView),
      next: last && items.length === PAGE ? `/portal/inbound?${params.toString()}` : null,
    });
  });
}
