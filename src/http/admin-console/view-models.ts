import type { Account } from '../../accounts/account-store.ts';
import type { EffectiveLimits } from '../../accounts/account-service.ts';
import type { Instance } from '../../instances/instance-store.ts';
import { maskPhone } from '../../lib/logger.ts';
import type { AuditEntry } from '../../review/audit-log.ts';
import type { ReviewStanding, StrikeRecord } from '../../review/auto-pause-service.ts';
import { formatWindow, isRateSignal, maskText, type PauseSignal } from '../../review/pause-policy.ts';
import type { MessageRecord } from '../../sending/message-log.ts';
import { GLOBAL_SCOPE, type Suppression } from '../../suppression/suppression-service.ts';
import type { WebhookEndpoint } from '../../webhooks/webhook-endpoint-store.ts';
import { formatDate, formatPercentValue } from './views.ts';

/**
 * Plain objects the console templates read. Phone numbers are masked and message texts cut short
 * here, once, so no template can show more than the reviewer needs.
 */

const SIGNAL_LABELS: Record<string, string> = {
  rule_hits: 'Severe-harm rule hits',
  policy_violations: 'Policy violations',
  flagged_sends: 'Flagged sends',
  opt_out_rate: 'Opt-out rate',
  failure_rate: 'Transport failure rate',
  restriction_signals: 'WhatsApp restriction signals',
};

function obj(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function arr(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.map(obj) : [];
}

function str(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

function signalLabel(key: string): string {
  const [signal, trigger] = key.split(':');
  const label = SIGNAL_LABELS[signal ?? ''] ?? key;
  return trigger ? `${label} (${trigger.replace(/_/g, ' ')})` : label;
}

function display(signal: string, value: unknown): string {
  if (value === null || value === undefined) return '—';
  return isRateSignal(signal.split(':')[0] as PauseSignal) ? formatPercentValue(value) : String(value);
}

export interface EvidenceView {
  hasTrigger: boolean;
  trigger: Record<string, unknown> | null;
  ladder: Record<string, unknown> | null;
  rates: { label: string; value: string; threshold: string; explanation: string; over: boolean }[];
  rules: { id: string; count: number }[];
  scores: { max: string; average: string; decisions: number } | null;
  samples: Record<string, unknown>[];
  strikes: Record<string, unknown>[];
  restrictionSignals: Record<string, unknown>[];
  policyVersion: string | null;
  evaluatedAt: string;
}

/** The stored evidence snapshot of a pause, shaped for reading. Null for a manual pause. */
export function evidenceView(evidence: Record<string, unknown> | null): EvidenceView | null {
  if (!evidence || Object.keys(evidence).length === 0) return null;
  const trigger = obj(evidence.trigger);
  const signal = String(trigger.signal ?? '');
  const ladder = obj(evidence.ladder);
  const rates = Object.entries(obj(evidence.rates)).map(([key, raw]) => {
    const r = obj(raw);
    const value = Number(r.value ?? 0);
    const threshold = Number(r.threshold ?? 0);
    return {
      label: signalLabel(key),
      value: display(key, r.value),
      threshold: display(key, r.threshold),
      explanation: String(r.explanation ?? ''),
      over: threshold > 0 && value >= threshold,
    };
  });
  const scores = obj(evidence.scores);
  return {
    hasTrigger: Object.keys(trigger).length > 0,
    trigger: Object.keys(trigger).length
      ? {
          id: str(trigger.id),
          label: signalLabel(signal),
          description: str(trigger.description),
          explanation: str(trigger.explanation),
          value: display(signal, trigger.value),
          threshold: display(signal, trigger.threshold),
          window: trigger.window_seconds ? formatWindow(Number(trigger.window_seconds)) : null,
          action: trigger.action === 'pause' ? 'pauses at once' : 'strike',
        }
      : null,
    ladder: Object.keys(ladder).length
      ? {
          strikeNumber: ladder.strike_number,
          step: ladder.step,
          steps: ladder.steps,
          skipped: Number(ladder.steps_skipped_for_repeat_pauses ?? 0),
          recentPauses: Number(ladder.recent_pauses ?? 0),
          lookback: ladder.recent_pauses_lookback_seconds
            ? formatWindow(Number(ladder.recent_pauses_lookback_seconds))
            : null,
          pauseCount: ladder.pause_count,
        }
      : null,
    rates,
    rules: arr(evidence.rules).map((r) => ({ id: String(r.id ?? ''), count: Number(r.count ?? 0) })),
    scores:
      Object.keys(scores).length > 0
        ? {
            max: scores.max == null ? '—' : String(scores.max),
            average: scores.average == null ? '—' : String(scores.average),
            decisions: Number(scores.decisions ?? 0),
          }
        : null,
    // Stored masked; masked again so an evidence written by anything else cannot leak a number.
    samples: arr(evidence.samples).map((s) => ({
      logId: s.log_id,
      at: formatDate(s.at),
      recipient: s.recipient ? maskPhone(String(s.recipient)) : '—',
      purpose: str(s.purpose) ?? '—',
      text: maskText(str(s.text), 160) ?? '',
      riskScore: s.risk_score ?? '—',
      rules: Array.isArray(s.rules) ? s.rules.map(String).join(', ') : '',
      outcome: str(s.error) ?? str(s.status) ?? '',
      flagged: Boolean(s.flagged),
    })),
    strikes: arr(evidence.strikes).map((s) => ({
      at: formatDate(s.created_at),
      trigger: str(s.trigger),
      explanation: str(s.explanation),
      action: s.action === 'pause' ? 'pause' : `slowed ×${String(s.throttle_multiplier ?? '')}`,
    })),
    restrictionSignals: arr(evidence.restriction_signals).map((r) => ({
      signal: str(r.signal),
      at: formatDate(r.at),
      detail: maskText(str(r.detail), 160),
    })),
    policyVersion: str(evidence.policy_version),
    evaluatedAt: formatDate(evidence.evaluated_at),
  };
}

export function decisionRow(m: MessageRecord): Record<string, unknown> {
  return {
    id: m.id,
    at: formatDate(m.createdAt),
    instanceId: m.instanceId,
    recipient: m.recipient ? maskPhone(m.recipient) : '—',
    purpose: m.purpose ?? '—',
    status: m.status,
    outcome: m.outcome,
    blocked: m.outcome === 'blocked' || m.status === 'failed',
    check: m.decidingCheck ?? '',
    error: m.errorCode ?? '',
    riskScore: m.riskScore ?? '—',
    rules: m.riskRules.map((r) => r.id).join(', '),
    flagged: m.flagged,
    accountId: m.accountId,
    // The whole text (numbers in it masked), wrapped by the table: reviewers read what was sent.
    text: maskText(m.text, 4096) ?? (m.mediaType ? `[${m.mediaType}]` : ''),
  };
}

export function instanceRow(
  i: Instance,
  extra: { accountName?: string | null; throttle?: { multiplier: number; until: number } | null } = {},
): Record<string, unknown> {
  return {
    id: i.id,
    name: i.name,
    accountId: i.accountId,
    accountName: extra.accountName ?? i.accountId,
    state: i.state,
    connected: i.state === 'connected',
    phone: i.phone ? maskPhone(i.phone) : '—',
    paused: i.paused,
    pauseReason: i.pauseReason,
    pausedBy: i.pausedBy,
    automatic: i.pausedBy === 'policy_engine',
    pausedAt: formatDate(i.pausedAt),
    throttle: extra.throttle
      ? { multiplier: extra.throttle.multiplier, until: formatDate(extra.throttle.until) }
      : null,
    createdAt: formatDate(i.createdAt),
  };
}

export function strikeRow(s: StrikeRecord): Record<string, unknown> {
  return {
    at: formatDate(s.createdAt),
    trigger: s.triggerId,
    explanation: s.explanation,
    strikeNumber: s.strikeNumber,
    step: s.ladderStep + 1,
    action: s.action === 'pause' ? 'pause' : `slowed ×${s.throttleMultiplier ?? ''}`,
    until: s.expiresAt ? formatDate(s.expiresAt) : null,
  };
}

export function standingView(s: ReviewStanding): Record<string, unknown> {
  return {
    pauseCount: s.pauseCount,
    lastResumedAt: s.lastResumedAt ? formatDate(s.lastResumedAt) : null,
    throttle: s.throttle ? { multiplier: s.throttle.multiplier, until: formatDate(s.throttle.until) } : null,
    strikes: s.strikes.map(strikeRow),
    triggers: s.triggers.map((t) => ({
      id: t.triggerId,
      label: signalLabel(t.signal),
      value: t.unit === 'rate' ? formatPercentValue(t.value) : String(t.value),
      threshold: t.unit === 'rate' ? formatPercentValue(t.threshold) : String(t.threshold),
      window: formatWindow(t.windowSeconds),
      explanation: t.explanation,
      over: t.fired,
    })),
  };
}

export function accountRow(a: Account, limits: EffectiveLimits, counts?: { instances: number; paused: number }) {
  return {
    id: a.id,
    name: a.name,
    plan: a.plan,
    active: a.planActive,
    modules: a.modules.join(', '),
    moduleList: a.modules,
    timezone: a.timezone,
    defaultCountry: a.defaultCountry ?? '',
    daily: limits.daily,
    monthly: limits.monthly,
    dailyOverride: a.dailyLimitOverride,
    monthlyOverride: a.monthlyLimitOverride,
    hasOverride: a.dailyLimitOverride !== null || a.monthlyLimitOverride !== null,
    overrideReason: a.overrideReason,
    overrideApprovedBy: a.overrideApprovedBy,
    overrideApprovedAt: a.overrideApprovedAt ? formatDate(a.overrideApprovedAt) : null,
    instances: counts?.instances ?? 0,
    paused: counts?.paused ?? 0,
    createdAt: formatDate(a.createdAt),
  };
}

export function suppressionRow(s: Suppression, accountNames: Map<string, string>): Record<string, unknown> {
  const global = s.scope === GLOBAL_SCOPE;
  return {
    id: s.id,
    phone: s.phone,
    masked: maskPhone(s.phone),
    global,
    accountId: global ? '' : s.scope,
    accountName: global ? 'Gateway-wide' : (accountNames.get(s.scope) ?? s.scope),
    reason: s.reason,
    note: s.note ?? '',
    createdBy: s.createdBy ?? '',
    createdAt: formatDate(s.createdAt),
  };
}

export function webhookRow(e: WebhookEndpoint, accountNames: Map<string, string>): Record<string, unknown> {
  let host = e.destinationUrl;
  try {
    const u = new URL(e.destinationUrl);
    host = `${u.protocol}//${u.host}${u.pathname.length > 24 ? `${u.pathname.slice(0, 24)}…` : u.pathname}`;
  } catch {
    host = e.destinationUrl.slice(0, 60);
  }
  return {
    id: e.id,
    accountId: e.accountId,
    accountName: accountNames.get(e.accountId) ?? e.accountId,
    url: host,
    events: e.events.length > 4 ? `${e.events.slice(0, 4).join(', ')} +${e.events.length - 4}` : e.events.join(', '),
    enabled: e.enabled,
    health: !e.enabled ? 'disabled' : e.consecutiveFailures > 0 ? 'failing' : 'healthy',
    disabledReason: e.disabledReason ?? '',
    disabledAt: e.disabledAt ? formatDate(e.disabledAt) : '',
    failures: e.consecutiveFailures,
    updatedAt: formatDate(e.updatedAt),
  };
}

/** One line about what an audit entry changed (evidence snapshots are read on the instance page). */
function auditSummary(e: AuditEntry): string {
  const d = e.detail ?? {};
  if (e.action === 'instance.auto_paused') {
    const trigger = obj(d.trigger);
    return `Trigger ${String(trigger.id ?? '?')}: ${String(trigger.explanation ?? '')}`;
  }
  if (e.action === 'instance.slowed')
    return (
      `Trigger ${String(d.trigger ?? '?')}: ${String(d.explanation ?? '')}` +
      ` → throttle ×${String(d.throttle_multiplier ?? '')} until ${formatDate(d.until)}`
    );
  const text = JSON.stringify(d);
  if (text === '{}') return '';
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

export function auditRow(e: AuditEntry): Record<string, unknown> {
  return {
    id: e.id,
    at: formatDate(e.createdAt),
    actor: e.actor,
    action: e.action,
    targetType: e.targetType ?? '',
    targetId: e.targetId ?? '',
    isInstance: e.targetType === 'instance',
    isAccount: e.targetType === 'account',
    note: e.note ?? '',
    detail: auditSummary(e),
  };
}
