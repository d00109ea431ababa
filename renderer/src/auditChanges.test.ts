import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICIES } from '../../shared/admin.js';
import { auditChangeText, auditChanges } from './auditChanges.js';

describe('auditChanges', () => {
  it('names a policy change by its nested field, not the whole document', () => {
    const after = { ...DEFAULT_POLICIES, slaMinutes: { ...DEFAULT_POLICIES.slaMinutes, urgent: 90 }, offerTimeoutSeconds: 12 };
    expect(auditChanges(DEFAULT_POLICIES, after)).toEqual([
      { field: 'slaMinutes.urgent', before: 120, after: 90 },
      { field: 'offerTimeoutSeconds', before: 15, after: 12 },
    ]);
    expect(auditChangeText(DEFAULT_POLICIES, after)).toBe('slaMinutes.urgent: 120 → 90; offerTimeoutSeconds: 15 → 12');
  });

  it("says a user's changed skills with their before and after values, arrays as one value", () => {
    const before = { username: 'agent2', channels: ['phone', 'chat'], senior: false, extension: '8002' };
    const after = { username: 'agent2', channels: ['phone', 'chat', 'email'], senior: true, extension: null };
    expect(auditChangeText(before, after)).toBe('channels: ["phone","chat"] → ["phone","chat","email"]; senior: false → true; extension: "8002" → null');
  });

  it('shows a creation (no before) field by field and nothing for an unchanged document', () => {
    expect(auditChangeText(null, { sessionsEnded: 1 })).toBe('sessionsEnded: — → 1');
    expect(auditChangeText({ a: { b: [1] } }, { a: { b: [1] } })).toBe('');
  });
});
