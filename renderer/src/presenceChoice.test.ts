import { describe, expect, it } from 'vitest';
import { AWAY_REASONS, PRESENCES } from '../../shared/routing.js';
import { parsePresenceChoice, presenceChoices, presenceChoiceValue } from './presenceChoice.js';

describe('presence choices', () => {
  it('offers every presence once and Away once more per reason, and reads each value back', () => {
    const choices = presenceChoices();
    expect(choices).toHaveLength(PRESENCES.length + AWAY_REASONS.length);
    for (const choice of choices) expect(parsePresenceChoice(presenceChoiceValue(choice))).toEqual(choice);
    expect(presenceChoiceValue({ presence: 'away', awayReason: 'meal' })).toBe('away:meal');
    // A reason with anything but Away is not a choice (the status from the server never carries one).
    expect(presenceChoiceValue({ presence: 'busy', awayReason: 'meal' })).toBe('busy');
  });

  it('refuses values that are not choices', () => {
    for (const value of ['', 'invisible', 'busy:meal', 'away:nap', 'away:meal:extra', 'away:']) expect(parsePresenceChoice(value)).toBeNull();
  });
});
