import type { Instance, InstancePatch, InstanceStore, ReviewColumns } from './instance-store.ts';

type Surface = Pick<
  InstanceStore,
  'get' | 'getForAccount' | 'update' | 'delete' | 'incrementPauseCount' | 'reviewColumns' | 'listThrottled'
>;

/** Columns of `InstancePatch` → fields of `Instance` (the review columns are kept apart). */
const FIELDS: Partial<Record<keyof InstancePatch, keyof Instance>> = {
  state: 'state',
  state_reason: 'stateReason',
  phone: 'phone',
  lid: 'lid',
  qr_raw: 'qrRaw',
  qr_expires_at: 'qrExpiresAt',
  has_session: 'hasSession',
  destroyed_at: 'destroyedAt',
  paused: 'paused',
  pause_reason: 'pauseReason',
  paused_by: 'pausedBy',
  paused_at: 'pausedAt',
  default_country: 'defaultCountry',
  updated_at: 'updatedAt',
};

/** A live, connected instance with every optional field empty; override what a test needs. */
export function makeInstance(fields: Partial<Instance> & Pick<Instance, 'id' | 'accountId'>): Instance {
  return {
    name: fields.id,
    state: 'connected',
    stateReason: null,
    phone: null,
    lid: null,
    defaultCountry: null,
    qrRaw: null,
    qrExpiresAt: null,
    hasSession: true,
    paused: false,
    pauseReason: null,
    pauseEvidence: null,
    reviewThrottleMultiplier: null,
    reviewThrottleUntil: null,
    pausedBy: null,
    pausedAt: null,
    createdAt: 0,
    updatedAt: 0,
    destroyedAt: null,
    ...fields,
  };
}

/** `InstanceStore` in memory (the part services use), for unit tests. */
export class FakeInstanceStore implements Surface {
  readonly instances = new Map<string, Instance>();
  readonly review = new Map<string, ReviewColumns>();

  add(instance: Instance): Instance {
    this.instances.set(instance.id, { ...instance });
    return instance;
  }

  async get(id: string): Promise<Instance | null> {
    const instance = this.instances.get(id);
    return instance ? { ...instance } : null;
  }

  async getForAccount(accountId: string, id: string): Promise<Instance | null> {
    const instance = await this.get(id);
    return instance && instance.accountId === accountId && instance.destroyedAt === null ? instance : null;
  }

  async update(id: string, patch: InstancePatch): Promise<void> {
    const instance = this.instances.get(id);
    if (!instance) return;
    const fields = instance as unknown as Record<string, unknown>;
    for (const [column, value] of Object.entries(patch) as [keyof InstancePatch, unknown][]) {
      const field = FIELDS[column];
      if (field) fields[field] = value;
    }
    if (patch.pause_evidence !== undefined)
      instance.pauseEvidence = patch.pause_evidence === null ? null : JSON.parse(patch.pause_evidence);
    const review = this.reviewOf(id);
    if (patch.last_resumed_at !== undefined) review.lastResumedAt = patch.last_resumed_at;
    if (patch.review_throttle_multiplier !== undefined) review.throttleMultiplier = patch.review_throttle_multiplier;
    if (patch.review_throttle_until !== undefined) review.throttleUntil = patch.review_throttle_until;
  }

  async delete(id: string): Promise<void> {
    this.instances.delete(id);
    this.review.delete(id);
  }

  async incrementPauseCount(id: string): Promise<void> {
    this.reviewOf(id).pauseCount += 1;
  }

  async reviewColumns(id: string): Promise<ReviewColumns> {
    return { ...this.reviewOf(id) };
  }

  async listThrottled(now: number): Promise<(ReviewColumns & { id: string })[]> {
    return [...this.instances.values()]
      .filter((i) => i.destroyedAt === null && (this.review.get(i.id)?.throttleUntil ?? 0) > now)
      .map((i) => ({ id: i.id, ...this.reviewOf(i.id) }));
  }

  private reviewOf(id: string): ReviewColumns {
    let review = this.review.get(id);
    if (!review) {
      review = { pauseCount: 0, lastResumedAt: null, throttleMultiplier: null, throttleUntil: null };
      this.review.set(id, review);
    }
    return review;
  }
}
