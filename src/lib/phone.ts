import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { ValidationError } from '../errors/errors.ts';

/**
 * Recipient normalization. Accepts E.164 (`+9665…`), international digits (`6281…`), the `00`
 * international prefix, and local forms resolved with the instance's default country.
 * Returns E.164 with `+`, or null when the input is not a possible phone number.
 */
export function normalizePhone(input: string, defaultCountry?: string | null): string | null {
  // Parsing with libphonenumber's metadata costs more than the rest of a send's validation, and
  // senders repeat their recipients: a pure function of its arguments, remembered.
  const key = `${defaultCountry ?? ''}|${input}`;
  const known = normalized.get(key);
  if (known !== undefined) return known;
  const result = parseRecipient(input, defaultCountry);
  if (normalized.size >= 10_000) normalized.clear();
  normalized.set(key, result);
  return result;
}

const normalized = new Map<string, string | null>();

function parseRecipient(input: string, defaultCountry?: string | null): string | null {
  const raw = input.trim();
  if (!/^[+\d][\d\s().-]{3,24}$/.test(raw)) return null;
  let candidate = raw.replace(/[\s().-]/g, '');
  if (candidate.startsWith('00')) candidate = `+${candidate.slice(2)}`;
  const attempts: { text: string; country?: CountryCode }[] = [];
  if (candidate.startsWith('+')) attempts.push({ text: candidate });
  else {
    // A leading 0 is a national trunk prefix: only meaningful with a default country.
    if (defaultCountry)
      attempts.push({ text: candidate, country: defaultCountry.toUpperCase() as CountryCode });
    if (!candidate.startsWith('0')) attempts.push({ text: `+${candidate}` });
  }
  for (const attempt of attempts) {
    const parsed = parsePhoneNumberFromString(attempt.text, attempt.country);
    if (parsed?.isValid()) return parsed.number;
  }
  return null;
}

/** `normalizePhone`, or a `validation_error` naming the request field. */
export function normalizePhoneOrReject(input: string, defaultCountry: string | null, field = '/phone'): string {
  const normalized = normalizePhone(input, defaultCountry);
  if (!normalized) throw new ValidationError({ errors: [{ field, reason: 'not a valid phone number (use E.164)' }] });
  return normalized;
}

/** WhatsApp group JIDs: `<digits>-<digits>@g.us` (legacy) or `<digits>@g.us`. */
export function isGroupJid(value: string): boolean {
  return /^\d{5,}(-\d{5,})?@g\.us$/.test(value.trim());
}
