import type { Customer, CustomerIdentity } from '../../../shared/domain.js';
import { isProvenIdentity } from '../i18nCustomers.js';
import { useT } from '../store/react.js';

/** Marks a phone or email the customer gave but no channel proved: where to answer them, never a way to recognise them. */
export function UnverifiedMark({ customer, kind, value }: { customer: Customer; kind: CustomerIdentity['kind']; value: string | null }) {
  const t = useT();
  if (value === null || isProvenIdentity(customer, kind, value)) return null;
  return (
    <span className="unverified-mark" title={t('customer.unverifiedTitle')}>
      {t('customer.unverified')}
    </span>
  );
}
