import type { PausePolicy } from '../../review/pause-policy.ts';
import { TREND_RANGES, type TrendRange, type Trends } from '../../sending/send-trends.ts';
import { type ChartModel, lineChart, stackedBarChart } from './svg-chart.ts';

/** The three trend charts (sends by outcome, refusals by code, rates against pause thresholds). */

export const OUTCOME_COLORS = { sent: '#12b76a', failed: '#f79009', refused: '#d92d20' } as const;
const CODE_COLORS = ['#b42318', '#7a5af8', '#0e9384', '#dc6803', '#2e90fa', '#667085'];

export interface TrendView {
  range: TrendRange;
  rangeLabel: string;
  ranges: { id: TrendRange; label: string; current: boolean }[];
  totals: Trends['totals'];
  outcomes: ChartModel;
  refusals: ChartModel;
  rates: ChartModel;
}

/** The thresholds of the pause policy's rate triggers (what the rate lines are compared with). */
export function rateThresholds(policy: PausePolicy): {
  optOut: number | null;
  failure: number | null;
  excludeFailureReasons: string[];
} {
  const optOut = policy.triggers.find((t) => t.signal === 'opt_out_rate');
  const failure = policy.triggers.find((t) => t.signal === 'failure_rate');
  return {
    optOut: optOut?.threshold ?? null,
    failure: failure?.threshold ?? null,
    excludeFailureReasons: [...(failure?.exclude_failure_reasons ?? [])],
  };
}

export function trendView(trends: Trends, policy: PausePolicy, idPrefix: string): TrendView {
  const { bucketMs, buckets } = trends;
  const codes = [...trends.refusalsByCode.entries()].sort(
    (a, b) => b[1].reduce((x, y) => x + y, 0) - a[1].reduce((x, y) => x + y, 0),
  );
  const top = codes.slice(0, CODE_COLORS.length - 1);
  const rest = codes.slice(CODE_COLORS.length - 1);
  const codeSeries = top.map(([code], k) => ({ key: code, label: code, color: CODE_COLORS[k] as string }));
  if (rest.length > 0) codeSeries.push({ key: 'other', label: 'other codes', color: CODE_COLORS.at(-1) as string });
  const t = rateThresholds(policy);
  const thresholds = [];
  if (t.optOut !== null) thresholds.push({ label: 'opt-out pause threshold', value: t.optOut, color: '#9e77ed' });
  if (t.failure !== null) thresholds.push({ label: 'failure pause threshold', value: t.failure, color: '#f79009' });
  return {
    range: trends.range,
    rangeLabel: TREND_RANGES[trends.range].label,
    ranges: (Object.keys(TREND_RANGES) as TrendRange[]).map((id) => ({ id, label: id, current: id === trends.range })),
    totals: trends.totals,
    outcomes: stackedBarChart({
      id: `${idPrefix}-outcomes`,
      title: 'Sends by outcome',
      buckets,
      bucketMs,
      series: [
        { key: 'sent', label: 'sent', color: OUTCOME_COLORS.sent },
        { key: 'failed', label: 'failed in transport', color: OUTCOME_COLORS.failed },
        { key: 'refused', label: 'refused by a check', color: OUTCOME_COLORS.refused },
      ],
      values: buckets.map((_, i) => [trends.sent[i] ?? 0, trends.failed[i] ?? 0, trends.refused[i] ?? 0]),
    }),
    refusals: stackedBarChart({
      id: `${idPrefix}-refusals`,
      title: 'Refusals by code',
      buckets,
      bucketMs,
      series: codeSeries,
      values: buckets.map((_, i) => [
        ...top.map(([, v]) => v[i] ?? 0),
        ...(rest.length > 0 ? [rest.reduce((a, [, v]) => a + (v[i] ?? 0), 0)] : []),
      ]),
    }),
    rates: lineChart({
      id: `${idPrefix}-rates`,
      title: 'Opt-out and failure rate against the pause thresholds',
      buckets,
      bucketMs,
      percent: true,
      lines: [
        { key: 'opt_out', label: 'opt-out rate', color: '#6941c6', values: trends.optOutRate },
        { key: 'failure', label: 'failure rate', color: '#b54708', values: trends.failureRate },
      ],
      thresholds,
    }),
  };
}
