/**
 * The data behind the docs pages, read from the sources of truth: the policy files, the error
 * table, the event schemas, the signer's test vectors, the request schemas, the configuration
 * and the OpenAPI document. Templates only arrange it, so the numbers in the docs are the numbers
 * the gateway enforces.
 */
import type { Application } from 'express';
import fs from 'node:fs';
import type { Container } from '../container.ts';
import type { ErrorRow } from '../errors/error-table.ts';
import { ERROR_TABLE } from '../errors/errors.ts';
import { EVENT_SCHEMAS, exampleEvent, ENVELOPE_SCHEMA } from '../events/event-schemas.ts';
import { EVENT_TYPES } from '../events/event-types.ts';
import { MEDIA_RULES, sendMessageSchema } from '../http/schemas/send-message.schema.ts';
import { buildOpenApiDocument } from '../openapi/openapi-document.ts';
import { packageVersion } from '../openapi/package-version.ts';
import { TAGS } from '../openapi/tags.ts';
import { TEST_VECTORS } from '../webhooks/webhook-signer.ts';
import { escapeHtml, renderInline } from './markdown.ts';

type Json = Record<string, unknown>;

const EXAMPLES_DIR = new URL('../../docs/examples/', import.meta.url);

function example(file: string): string {
  return fs.readFileSync(new URL(file, EXAMPLES_DIR), 'utf8').trimEnd();
}

const json = (value: unknown) => JSON.stringify(value, null, 2);

export function humanDuration(seconds: number): string {
  if (seconds === 86400) return '24 hours';
  if (seconds % 86400 === 0 && seconds >= 86400) {
    const d = seconds / 86400;
    return d === 7 ? '7 days' : d === 30 ? '30 days' : `${d} ${d === 1 ? 'day' : 'days'}`;
  }
  if (seconds % 3600 === 0 && seconds >= 3600) {
    const h = seconds / 3600;
    return `${h} ${h === 1 ? 'hour' : 'hours'}`;
  }
  if (seconds % 60 === 0 && seconds >= 60) {
    const m = seconds / 60;
    return `${m} ${m === 1 ? 'minute' : 'minutes'}`;
  }
  return `${seconds} ${seconds === 1 ? 'second' : 'seconds'}`;
}

/** "per minute", "per 10 seconds", "per hour". */
export function perDuration(seconds: number): string {
  const d = humanDuration(seconds);
  return d.startsWith('1 ') ? `per ${d.slice(2)}` : `per ${d}`;
}

function humanMs(ms: number): string {
  if (ms % 1000 === 0) return humanDuration(ms / 1000);
  return `${ms} ms`;
}

const fmt = (n: number) => n.toLocaleString('en-US');

export const errorAnchor = (code: string) => `error-${code}`;
export const eventAnchor = (type: string) => `event-${type.replace(/[^a-z0-9]+/g, '-')}`;

// ---------------------------------------------------------------------------------------------

function errorsData() {
  const row = ({ code, status, message, cause, fix }: ErrorRow) => ({
    code,
    status,
    message,
    cause,
    fix,
    anchor: errorAnchor(code),
  });
  return {
    /** SPEC §3.1 + the other public codes, in table order. */
    public: ERROR_TABLE.of('public').map(row),
    /** Codes outside the public table (3CX). */
    other: ERROR_TABLE.of('threecx').map(row),
    all: ERROR_TABLE.all().map(row),
  };
}

const EVENT_GROUPS: { title: string; match: (t: string) => boolean; intro: string }[] = [
  {
    title: 'Messages',
    match: (t) => t.startsWith('message.'),
    intro: 'Inbound messages, your own sends, and what happens to them afterwards.',
  },
  { title: 'Recipients', match: (t) => t.startsWith('recipient.'), intro: 'Opt-outs and opt-ins.' },
  { title: 'Conversations', match: (t) => t.startsWith('conversation.'), intro: '' },
  {
    title: 'Instances',
    match: (t) => t.startsWith('instance.'),
    intro: 'Connection lifecycle, QR codes and pause-for-review.',
  },
  { title: 'Calls', match: (t) => t.startsWith('call.'), intro: '' },
  { title: 'Groups', match: (t) => t.startsWith('group.'), intro: '' },
  { title: 'Testing', match: (t) => t.startsWith('webhook.'), intro: '' },
];

const RECOMMENDED_EVENTS = ['message.received', 'message.sent', 'message.failed', 'recipient.opted_out'];

function eventsData() {
  const events = EVENT_TYPES.map((type) => {
    const schema = EVENT_SCHEMAS[type] as { description?: string };
    return {
      type,
      anchor: eventAnchor(type),
      description: schema.description ?? '',
      recommended: RECOMMENDED_EVENTS.includes(type),
      schemaJson: json(schema),
      exampleJson: json(exampleEvent(type)),
      schemaUrl: `/api/event-schemas/${type}`,
    };
  });
  const placed = new Set<string>();
  const groups = EVENT_GROUPS.map((g) => {
    const list = events.filter((e) => !placed.has(e.type) && g.match(e.type));
    for (const e of list) placed.add(e.type);
    return { title: g.title, intro: g.intro, events: list };
  });
  const rest = events.filter((e) => !placed.has(e.type));
  if (rest.length > 0) groups.push({ title: 'Other', intro: '', events: rest });
  return {
    list: events,
    groups: groups.filter((g) => g.events.length > 0),
    recommended: RECOMMENDED_EVENTS,
    envelopeSchemaJson: json(ENVELOPE_SCHEMA),
    envelopeExampleJson: json(exampleEvent('recipient.opted_out')),
  };
}

function vectorsData() {
  return TEST_VECTORS.map((v) => ({
    name: v.name,
    secrets: v.secrets.join('\n'),
    requestId: v.requestId,
    timestamp: v.timestamp,
    unixTimestamp: v.unixTimestamp,
    body: v.body,
    waSignature: v.expected['X-WA-Signature'],
    standardSignature: v.expected['webhook-signature'],
  }));
}

function policiesData(c: Container) {
  const p = c.policies;
  const plans = Object.entries(p.plans.plans).map(([id, plan]) => ({
    id,
    name: plan.name,
    daily: fmt(plan.daily_limit),
    monthly: fmt(plan.monthly_limit),
    multiplier: plan.throttle_multiplier ?? 1,
    perMinute: fmt(Math.max(1, Math.floor(p.throttle.per_instance.points * (plan.throttle_multiplier ?? 1)))),
  }));
  const t = p.throttle;
  const throttle = {
    instance: `${fmt(t.per_instance.points)} ${perDuration(t.per_instance.duration_seconds)}`,
    burst: t.per_instance.burst
      ? `${fmt(t.per_instance.burst)} more ${perDuration(t.per_instance.burst_duration_seconds ?? t.per_instance.duration_seconds)}`
      : null,
    recipient: `${fmt(t.per_recipient.points)} ${perDuration(t.per_recipient.duration_seconds)}`,
    newRecipients: `${fmt(t.new_recipients.points)} ${perDuration(t.new_recipients.duration_seconds)}`,
    exempt: t.exempt_purposes_from_recipient_limit ?? [],
  };

  const risk = p.risk as unknown as {
    thresholds: { review: number; block: number };
    behaviour_window_seconds?: number;
    rules: {
      id: string;
      kind: string;
      description?: string;
      weight?: number;
      max_weight?: number;
      tiers?: { min: number; weight: number }[];
    }[];
  };
  const rules = risk.rules.map((r) => {
    let weight: string;
    if (r.kind === 'classifier' && r.tiers)
      weight = r.tiers
        .filter((tier) => tier.weight !== 0)
        .map((tier) => `+${tier.weight} from probability ${tier.min}`)
        .join(', ');
    else if (r.tiers) weight = r.tiers.map((tier) => `+${tier.weight} at ${tier.min}`).join(', ');
    else if (r.weight !== undefined && r.weight < 0) weight = `${r.weight} (lowers the score)`;
    else if (r.weight !== undefined)
      weight = r.max_weight ? `+${r.weight} each, up to +${r.max_weight}` : `+${r.weight}`;
    else weight = '';
    return { id: r.id, description: r.description ?? '', weight };
  });

  const optOut = (
    p.optOut as unknown as {
      languages: {
        code: string;
        name: string;
        opt_out: { keywords: string[] };
        opt_in: { keywords: string[] };
        confirmations?: { opt_out?: string; opt_in?: string };
      }[];
    }
  ).languages.map((l) => ({
    code: l.code,
    name: l.name,
    optOut: l.opt_out.keywords.slice(0, 10).join(', '),
    optOutCount: l.opt_out.keywords.length,
    optIn: l.opt_in.keywords.slice(0, 6).join(', '),
    confirmation: l.confirmations?.opt_out ?? null,
  }));

  return {
    purposes: p.purposes.allowed,
    disallowed: p.purposes.disallowed,
    groupPurposes: p.purposes.group_purposes ?? [],
    plans,
    throttle,
    risk: {
      review: risk.thresholds.review,
      reviewUpTo: risk.thresholds.block - 1,
      block: risk.thresholds.block,
      window: perDuration(risk.behaviour_window_seconds ?? 3600).replace(/^per /, ''),
      rules,
    },
    optOut,
    pause: pauseData(p.pause),
  };
}

/** `policies/pause.json` (optional): triggers, the strike ladder and repeat-offender rules. */
function pauseData(raw: unknown) {
  if (!raw || typeof raw !== 'object') return null;
  const policy = raw as {
    triggers?: {
      id: string;
      description?: string;
      public_reason?: string;
      threshold: number;
      window_seconds: number;
      action: string;
      signal?: string;
      min_sample?: number;
    }[];
    strike_ladder?: {
      window_seconds: number;
      steps: { action: string; throttle_multiplier?: number; duration_seconds?: number }[];
    };
    repeat_pauses?: { lookback_seconds: number; steps_skipped_per_recent_pause: number };
  };
  const triggers = (policy.triggers ?? []).map((t) => {
    const isRate = typeof t.signal === 'string' && t.signal.endsWith('_rate');
    return {
      id: t.id,
      reason: t.public_reason ?? t.description ?? t.id,
      description: t.description ?? '',
      threshold: isRate
        ? `${Math.round(t.threshold * 1000) / 10}%${t.min_sample ? ` (judged from ${t.min_sample} or more)` : ''}`
        : fmt(t.threshold),
      window: humanDuration(t.window_seconds),
      action: t.action === 'pause' ? 'Pause at once' : 'One strike',
    };
  });
  const ladder = (policy.strike_ladder?.steps ?? []).map((s, i) => ({
    n: i + 1,
    text:
      s.action === 'pause'
        ? 'Paused for review'
        : `Sending slowed to ${Math.round((s.throttle_multiplier ?? 1) * 100)}% of normal${s.duration_seconds ? ` for ${humanDuration(s.duration_seconds)}` : ''}`,
  }));
  return {
    triggers,
    ladder,
    ladderWindow: policy.strike_ladder ? humanDuration(policy.strike_ladder.window_seconds) : null,
    repeat: policy.repeat_pauses
      ? {
          lookback: humanDuration(policy.repeat_pauses.lookback_seconds),
          skipped: policy.repeat_pauses.steps_skipped_per_recent_pause,
        }
      : null,
  };
}

function sendFields() {
  const required = new Set<string>(sendMessageSchema.required);
  const notes: Record<string, string> = {
    instance_id: 'The sending instance (one of yours): the `id` from `GET /api/instances`.',
    phone:
      'E.164 (`+9665…`), international digits (`6281…`) or a local number read with the instance’s default country. A group JID (`…@g.us`) only with purpose `internal_team`.',
    message: 'The text (up to 4,096 characters); the caption when media is attached. Required unless media is sent.',
    message_purpose: 'Required. One of the allowed purposes below.',
    media_type: '`image`, `video`, `audio` or `document`; with media.',
    mime_type: 'With media; must be on the allowlist for the media type.',
    file_name: 'With media; required for documents (shown to the recipient).',
    media: 'The file, base64-encoded.',
    reference: 'Your own id (order number, ticket). Stored in the log and echoed in `message.sent` and later events.',
  };
  return Object.keys(sendMessageSchema.properties).map((name) => ({
    name,
    required: required.has(name) || name === 'message_purpose',
    notes: renderInline(notes[name] ?? ''),
  }));
}

function mediaData() {
  const mb = (bytes: number) => `${bytes / (1024 * 1024)} MB`;
  return Object.entries(MEDIA_RULES).map(([type, rule]) => ({
    type,
    maxSize: mb(rule.maxBytes),
    mimes: rule.mimes.join(', '),
  }));
}

// ---------------------------------------------------------------------------------------------
// Endpoints (from the OpenAPI document)
// ---------------------------------------------------------------------------------------------

interface SchemaLike {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  description?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  items?: SchemaLike;
  properties?: Record<string, SchemaLike>;
  required?: string[];
  $ref?: string;
}

/** Schema descriptions are Markdown-ish; template placeholders in them are shown as code. */
function describeText(text: string | undefined): string {
  return renderInline((text ?? '').replace(/(?<!`)(\{\{[^{}`]+\}\})(?!`)/g, '`$1`'));
}

function describeType(s: SchemaLike): string {
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : ['any'];
  let t = types.map((x) => (x === 'array' && s.items ? `array of ${describeType(s.items)}` : x)).join(' | ');
  if (s.format) t += ` (${s.format})`;
  return t;
}

function limits(s: SchemaLike): string {
  const parts: string[] = [];
  if (s.minLength !== undefined && s.minLength > 1) parts.push(`min length ${s.minLength}`);
  if (s.maxLength !== undefined) parts.push(`max length ${fmt(s.maxLength)}`);
  if (s.minimum !== undefined) parts.push(`min ${fmt(s.minimum)}`);
  if (s.maximum !== undefined) parts.push(`max ${fmt(s.maximum)}`);
  return parts.join(', ');
}

const METHOD_ORDER = ['get', 'post', 'patch', 'put', 'delete'];

const AUTH_LABEL: Record<string, string> = {
  ApiKey: 'API key',
  AdminToken: 'Admin token',
  MetricsToken: 'Metrics token',
  ThreeCxSecret: '3CX secret',
};

function endpointsData(app: Application) {
  const doc = buildOpenApiDocument(app);
  const components = doc.components.schemas as Record<string, SchemaLike>;
  type Op = {
    summary: string;
    description?: string;
    tags: string[];
    security: Record<string, string[]>[];
    parameters?: { name: string; in: string; description: string; required: boolean; schema: SchemaLike }[];
    requestBody?: { required: boolean; description?: string; content: Record<string, { schema: SchemaLike; example: unknown }> };
    responses: Record<string, { description: string; content?: Record<string, { example?: unknown }> }>;
    'x-error-codes': string[];
    'x-sandbox-only'?: boolean;
  };
  const byTag = new Map<string, unknown[]>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHOD_ORDER) {
      const op = item[method] as Op | undefined;
      if (!op) continue;
      const body = op.requestBody?.content['application/json'];
      const bodyRef = body?.schema.$ref?.split('/').pop();
      const bodySchema = bodyRef ? components[bodyRef] : undefined;
      const required = new Set(bodySchema?.required ?? []);
      const [successStatus, success] = Object.entries(op.responses)[0] as [
        string,
        { description: string; content?: Record<string, { example?: unknown }> },
      ];
      const successContent = success.content ? Object.entries(success.content)[0] : undefined;
      const entry = {
        id: `${method}-${path}`.replace(/[^A-Za-z0-9]+/g, '-').replace(/-+$/, '').toLowerCase(),
        method: method.toUpperCase(),
        methodClass: method,
        path,
        summary: op.summary,
        descriptionHtml: op.description ? describeText(op.description) : '',
        auth:
          op.security.length === 0
            ? 'None (public)'
            : op.security.map((s) => AUTH_LABEL[Object.keys(s)[0] as string] ?? Object.keys(s)[0]).join(' or '),
        sandboxOnly: Boolean(op['x-sandbox-only']),
        params: (op.parameters ?? []).map((p) => ({
          name: p.name,
          in: p.in,
          required: p.required,
          type: describeType(p.schema),
          descriptionHtml: describeText(p.description),
        })),
        body: body
          ? {
              required: op.requestBody?.required ?? false,
              note: op.requestBody?.description ?? '',
              fields: Object.entries(bodySchema?.properties ?? {}).map(([name, s]) => ({
                name,
                required: required.has(name),
                type: describeType(s),
                limits: limits(s),
                descriptionHtml: describeText(s.description),
              })),
              exampleJson: json(body.example),
            }
          : null,
        response: {
          status: successStatus,
          description: success.description,
          contentType: successContent?.[0] ?? null,
          exampleJson: successContent?.[1].example !== undefined ? json(successContent[1].example) : null,
        },
        errors: op['x-error-codes'].map((code) => ({
          code,
          status: ERROR_TABLE.get(code)?.status ?? 0,
          anchor: errorAnchor(code),
        })),
      };
      const list = byTag.get(op.tags[0] as string) ?? [];
      list.push(entry);
      byTag.set(op.tags[0] as string, list);
    }
  }
  return TAGS.filter((t) => byTag.has(t.name)).map((t) => ({
    name: t.name,
    id: `tag-${t.name.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase()}`,
    description: t.description,
    routes: byTag.get(t.name) ?? [],
  }));
}

// ---------------------------------------------------------------------------------------------

const staticData = new WeakMap<Application, Json>();

/** Data that depends on nothing but the code and the app's routes (computed once per app). */
function codeData(app: Application): Json {
  const hit = staticData.get(app);
  if (hit) return hit;
  const data: Json = {
    errors: errorsData(),
    events: eventsData(),
    vectors: vectorsData(),
    sendFields: sendFields(),
    media: mediaData(),
    endpoints: endpointsData(app),
    examples: {
      nodeReceiver: example('node-receiver.mjs'),
      n8n: example('n8n-code-node.js'),
      python: example('verify_warden.py'),
      php: example('verify-warden.php'),
    },
  };
  staticData.set(app, data);
  return data;
}

/** Everything the templates can use. `baseUrl` is how the reader reached this gateway. */
export function buildDocsData(c: Container, baseUrl: string, app: Application): Json {
  const schedule = c.config.webhookRetrySchedule;
  return {
    ...codeData(app),
    version: packageVersion(),
    baseUrl,
    transport: c.config.transport,
    sandbox: c.config.transport === 'sandbox',
    policies: policiesData(c),
    webhooks: {
      schedule: schedule.map(humanMs).join(', '),
      attempts: schedule.length + 1,
      timeout: humanMs(c.config.webhookTimeoutMs),
      allowedCidrs: c.config.webhookAllowedCidrs.trim() || null,
      requireHttps: c.config.webhookRequireHttps,
      baseUrl: c.config.webhookBaseUrl,
    },
  };
}

export { escapeHtml };
