/**
 * Pure rules for recognising one customer across channels: how each kind of identity is
 * normalised before it is looked up in `customer_identities`. Phones become E.164 (Chinese
 * numbers without a country code are read as Chinese, so `13800138000`, `+86 138-0013-8000`,
 * `0086…`, `86…` and landlines like `010-12345678` all meet); emails compare without case;
 * social ids (`wechat:<app>:<openid>`, `webchat:…`, `webhook:<platform>:<id>`) compare exactly.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import type { CustomerIdentity, IdentityKind } from '../shared/domain.js';

/** The region a number without a country code is read in: the contact centre's own. */
export const DEFAULT_PHONE_REGION: CountryCode = 'CN';

/**
 * E.164 (`+8613800138000`) when the number is a possible phone number; otherwise the digits
 * as given (a leading `+` kept), so a short service number like `95588` still matches itself.
 */
export function normalisePhone(phone: string, region: CountryCode = DEFAULT_PHONE_REGION): string {
  const parsed = parsePhoneNumberFromString(phone, region);
  if (parsed?.isPossible()) return parsed.number;
  return phone.replace(/[^\d+]/g, '').replace(/(?!^)\+/g, '');
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Social ids carry the platform and app in them; they match exactly, only outer blanks go. */
export function normaliseSocialId(socialId: string): string {
  return socialId.trim();
}

export function normaliseIdentity(kind: IdentityKind, value: string): string {
  switch (kind) {
    case 'phone':
      return normalisePhone(value);
    case 'email':
      return normaliseEmail(value);
    case 'social':
      return normaliseSocialId(value);
  }
}

/** The identities a contact names, normalised, in matching order (phone, email, social id); empty values dropped. */
export function identitiesOf(given: {
  phone?: string | null | undefined;
  email?: string | null | undefined;
  socialId?: string | null | undefined;
}): CustomerIdentity[] {
  const identities: CustomerIdentity[] = [];
  const add = (kind: IdentityKind, raw: string | null | undefined) => {
    if (!raw) return;
    const value = normaliseIdentity(kind, raw);
    if (value.length > 0) identities.push({ kind, value });
  };
  add('phone', given.phone);
  add('email', given.email);
  add('social', given.socialId);
  return identities;
}

/** Why a customer request (a merge) was refused; the code is the socket protocol's error code. */
export class CustomerRefusal extends Error {
  constructor(
    readonly code: 'invalid_request' | 'not_found' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'CustomerRefusal';
  }
}
