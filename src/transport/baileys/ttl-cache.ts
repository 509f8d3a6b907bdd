/**
 * A small timer-free TTL + LRU cache implementing Baileys' `CacheStore`. Entries expire lazily
 * on access; the oldest entries are evicted beyond `maxEntries`. No intervals, so nothing leaks
 * or keeps the process alive when an instance is dropped.
 */
import type { CacheStore } from '@whiskeysockets/baileys';

export class TtlCache implements CacheStore {
  private readonly map = new Map<string, { value: unknown; expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  get<T>(key: string): T | undefined {
    const entry = this.map.get(key);
    if (!entry) {
      return undefined;
    }
    if (entry.expiresAt <= this.now()) {
      this.map.delete(key);
      return undefined;
    }
    // refresh LRU position
    this.map.delete(key);
    this.map.set(key, entry);
    return entry.value as T;
  }

  set<T>(key: string, value: T): void {
    this.map.delete(key);
    this.map.set(key, { value, expiresAt: this.now() + this.ttlMs });
    while (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next();
      if (oldest.done) {
        break;
      }
      this.map.delete(oldest.value);
    }
  }

  del(key: string): void {
    this.map.delete(key);
  }

  flushAll(): void {
    this.map.clear();
  }

  close(): void {
    this.map.clear();
  }

  get size(): number {
    return this.map.size;
  }
}
