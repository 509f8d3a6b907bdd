import type { Instance } from '../instances/instance-store.ts';
import type { PauseEvidenceReader } from './pause-evidence.ts';
import type { PauseSignal, PauseTrigger, TriggerFacts } from './pause-policy.ts';

/** `PauseEvidenceReader` in memory: the facts a test sets per instance and signal, and the snapshots asked for. */
export class FakePauseEvidence implements PauseEvidenceReader {
  /** `instanceId signal` → facts (none: zero events). */
  readonly byInstanceSignal = new Map<string, TriggerFacts>();
  readonly active = new Set<string>();
  readonly snapshots: { instanceId: string; trigger: string; since: number }[] = [];
  /** How many times facts were read. */
  reads = 0;

  set(instanceId: string, signal: PauseSignal, facts: TriggerFacts): void {
    this.byInstanceSignal.set(`${instanceId} ${signal}`, facts);
    this.active.add(instanceId);
  }

  async facts(instanceId: string, trigger: PauseTrigger): Promise<TriggerFacts> {
    this.reads += 1;
    return this.byInstanceSignal.get(`${instanceId} ${trigger.signal}`) ?? { events: 0 };
  }

  async activeInstanceIds(): Promise<Set<string>> {
    return new Set(this.active);
  }

  async evidence(
    instance: Instance,
    trigger: PauseTrigger,
    _result: unknown,
    _position: unknown,
    _recentPauses: number,
    ladderSince: number,
  ): Promise<Record<string, unknown>> {
    this.snapshots.push({ instanceId: instance.id, trigger: trigger.id, since: ladderSince });
    return { trigger: { id: trigger.id } };
  }
}
