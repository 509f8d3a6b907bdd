/**
 * Who is who on WhatsApp: JIDs, phone numbers and LIDs, and the context every mapping from
 * Baileys events is given (our own identity, the LIDs the transport already resolved).
 */
import { isLidUser, isPnUser, jidDecode } from '@whiskeysockets/baileys';

export interface MapperContext {
  instanceId: string;
  /** our own account: `PN:device@s.whatsapp.net` (creds.me.id) */
  meId?: string | null | undefined;
  /** our own LID: `LID:device@lid` (creds.me.lid) */
  meLid?: string | null | undefined;
  /** LID user JID (`123@lid`, no device) → PN JID, as already resolved by the transport */
  pnForLid?: ReadonlyMap<string, string> | undefined;
  now?: () => Date;
}

/** `62812…@s.whatsapp.net` (any device) → `+62812…`; anything else → null. */
export function jidToE164(jid: string | null | undefined): string | null {
  if (!jid || !isPnUser(jid)) {
    return null;
  }
  const user = jidDecode(jid)?.user;
  return user && /^\d{5,20}$/.test(user) ? `+${user}` : null;
}

/** `123:4@lid` → `123@lid`; non-LID → null. */
export function normalizeLid(jid: string | null | undefined): string | null {
  if (!jid || !isLidUser(jid)) {
    return null;
  }
  const user = jidDecode(jid)?.user;
  return user ? `${user}@lid` : null;
}

/** `123:4@s.whatsapp.net` → `123@s.whatsapp.net`; non-PN → null. */
export function normalizePn(jid: string | null | undefined): string | null {
  if (!jid || !isPnUser(jid)) {
    return null;
  }
  const user = jidDecode(jid)?.user;
  return user ? `${user}@s.whatsapp.net` : null;
}

export class InvalidRecipientError extends Error {}

/**
 * A send target to a JID: `+E164` (or bare digits) → PN JID; `…@g.us`, `…@s.whatsapp.net` and
 * `…@lid` pass through.
 */
export function recipientToJid(to: string): string {
  const trimmed = to.trim();
  if (/@(g\.us|s\.whatsapp\.net|lid)$/.test(trimmed)) {
    const d = jidDecode(trimmed);
    if (!d?.user) {
      throw new InvalidRecipientError(`invalid JID ${to}`);
    }
    return trimmed;
  }
  const digits = trimmed.replace(/^\+/, '');
  if (!/^[1-9]\d{6,14}$/.test(digits)) {
    throw new InvalidRecipientError(`recipient must be E.164 (+ and 7-15 digits) or a JID, got ${to}`);
  }
  return `${digits}@s.whatsapp.net`;
}

/** Phone and LID of a party from the two JID forms Baileys may give (either may be PN or LID). */
export function identityOf(
  primary: string | null | undefined,
  alt: string | null | undefined,
  ctx: Pick<MapperContext, 'pnForLid'>,
): { phone: string | null; lid: string | null } {
  let phone = jidToE164(primary) ?? jidToE164(alt);
  const lid = normalizeLid(primary) ?? normalizeLid(alt);
  if (!phone && lid) {
    phone = jidToE164(ctx.pnForLid?.get(lid));
  }
  return { phone, lid };
}
