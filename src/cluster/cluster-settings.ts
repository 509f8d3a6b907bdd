import os from 'node:os';
import { parseDurationMs } from '../config/config.ts';

type Env = Record<string, string | undefined>;

/** Settings of one node of a cluster (SPEC §12); read from the environment, validated once. */
export interface ClusterSettings {
  /** `NODE_ID`; default a stable name derived from the host name and the port. */
  nodeId: string;
  /** `NODE_URL`: where the other nodes reach this one; default `http://127.0.0.1:$PORT`. */
  nodeUrl: string;
  /** `CLUSTER_SECRET`; null → generated once and stored in the database. */
  secret: string | null;
  /** `CLUSTER_LEASE`: how long a lease (and a node heartbeat) stays valid without renewal. */
  leaseMs: number;
  /** `CLUSTER_HEARTBEAT`: how often a node renews its leases and rebalances. */
  heartbeatMs: number;
  /** `CLUSTER_FAILOVER_WAIT`: how long a call waits for a live owner before `instance_failing_over`. */
  failoverWaitMs: number;
  /** `CLUSTER_CLAIM_JITTER`: random delay before a node claims free instances. */
  claimJitterMs: number;
  /** `CLUSTER=off` turns clustering off on MySQL (one node owns everything, as on SQLite). */
  enabled: boolean;
}

export class ClusterSettingsError extends Error {}

const DEFAULTS = { lease: '10s', heartbeat: '1s', failoverWait: '5s', jitter: '250ms' };

/**
 * `port` is the port the node listens on (after `PORT=0` it is the one the OS picked), so the
 * defaults of NODE_ID and NODE_URL name the real listening address.
 */
export function loadClusterSettings(env: Env, port: number): ClusterSettings {
  const problems: string[] = [];
  const duration = (name: string, fallback: string): number => {
    const raw = env[name]?.trim() || fallback;
    try {
      const ms = parseDurationMs(raw);
      if (ms <= 0) throw new Error(`"${raw}" must be more than zero`);
      return ms;
    } catch (error) {
      problems.push(`${name}: ${(error as Error).message}`);
      return parseDurationMs(fallback);
    }
  };
  const leaseMs = duration('CLUSTER_LEASE', DEFAULTS.lease);
  const heartbeatMs = duration('CLUSTER_HEARTBEAT', DEFAULTS.heartbeat);
  if (heartbeatMs * 3 > leaseMs)
    problems.push('CLUSTER_HEARTBEAT: must be at most a third of CLUSTER_LEASE (a lease survives two missed heartbeats)');
  const nodeId = env.NODE_ID?.trim() || `${os.hostname().toLowerCase().replace(/[^a-z0-9.-]/g, '-').slice(0, 50)}-${port}`;
  if (!/^[A-Za-z0-9._:-]{1,64}$/.test(nodeId))
    problems.push('NODE_ID: use 1–64 letters, digits, ".", "_", ":" or "-"');
  const nodeUrl = (env.NODE_URL?.trim() || `http://127.0.0.1:${port}`).replace(/\/+$/, '');
  try {
    const u = new URL(nodeUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    problems.push(`NODE_URL: "${nodeUrl}" is not an http(s) URL`);
  }
  const secret = env.CLUSTER_SECRET?.trim() || null;
  if (secret !== null && secret.length < 16) problems.push('CLUSTER_SECRET: use at least 16 characters');
  const mode = (env.CLUSTER?.trim() || 'on').toLowerCase();
  if (mode !== 'on' && mode !== 'off') problems.push(`CLUSTER: "${mode}" is neither on nor off`);
  if (problems.length > 0)
    throw new ClusterSettingsError(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return {
    nodeId,
    nodeUrl,
    secret,
    leaseMs,
    heartbeatMs,
    failoverWaitMs: duration('CLUSTER_FAILOVER_WAIT', DEFAULTS.failoverWait),
    claimJitterMs: Math.max(0, duration('CLUSTER_CLAIM_JITTER', DEFAULTS.jitter)),
    enabled: mode === 'on',
  };
}
