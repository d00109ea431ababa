import type { ReactNode } from 'react';

/**
 * The pieces a lead's read-only Admin panels are made of (policies, a user, the channel registry):
 * values as text with their labels, never disabled inputs, which looked like live ones.
 */

/** Says who may change what the panel shows. */
export function ReadOnlyNote({ text }: { text: string }) {
  return <p className="admin-read-only-note">{text}</p>;
}

/**
 * One row a value: the label as the row's header, so a row is named by what it shows. A value and
 * its unit stay on one line; free text (`wrap`, e.g. an auto-reply) wraps inside the panel.
 */
export function ReadOnlyTable({ rows }: { rows: ReadonlyArray<{ key: string; label: string; value: ReactNode; wrap?: boolean }> }) {
  return (
    <table className="admin-policy-table">
      <tbody>
        {rows.map(({ key, label, value, wrap }) => (
          <tr key={key}>
            <th scope="row">{label}</th>
            <td>
              {typeof value === 'string' ? <span className={wrap ? 'admin-policy-value admin-read-only-text' : 'admin-policy-value'}>{value}</span> : value}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** One value per priority, channel or weekday, each with its name: "Urgent 120 min · Normal 240 min". */
export function LabelledValues({ values }: { values: ReadonlyArray<{ key: string; label: string; value: string }> }) {
  return (
    <ul className="admin-policy-values">
      {values.map(({ key, label, value }) => (
        <li key={key}>
          <span className="muted">{label}</span> <span className="admin-policy-value">{value}</span>
        </li>
      ))}
    </ul>
  );
}
