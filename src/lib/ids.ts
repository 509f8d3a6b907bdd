import { randomBytes, randomUUID } from 'node:crypto';

/** App-generated ids: portable across SQLite and MySQL (no `.returning()`, no auto-increment reads). */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}

export function newUuid(): string {
  return randomUUID();
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
