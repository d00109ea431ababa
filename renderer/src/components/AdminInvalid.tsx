import { useT } from '../store/react.js';

/** Why an admin form was not sent (the first issue its schema found), under the form; nothing while it is fine. */
export function AdminInvalid({ reason }: { reason: string }) {
  const t = useT();
  if (!reason) return null;
  return (
    <p className="admin-error" role="alert">
      {t('admin.invalid', { reason })}
    </p>
  );
}
