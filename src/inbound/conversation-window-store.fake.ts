import type { ConversationWindowStore, TouchedWindow, WindowTouch } from './conversation-window-store.ts';

/** `ConversationWindowStore` in memory, for unit tests of the services that use it. */
export class FakeConversationWindowStore implements ConversationWindowStore {
  /** `instanceId contact` → last inbound time. */
  readonly lastInbound = new Map<string, number>();

  async touch(input: WindowTouch): Promise<TouchedWindow> {
    const key = `${input.instanceId} ${input.contact}`;
    const previous = this.lastInbound.get(key) ?? null;
    const lastInboundAt = Math.max(previous ?? input.at, input.at);
    this.lastInbound.set(key, lastInboundAt);
    return { lastInboundAt, opened: previous === null || previous + input.windowMs <= input.at };
  }
}
