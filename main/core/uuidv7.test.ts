import { describe, expect, it } from 'vitest';
import { entityIdSchema } from '../../shared/domain.js';
import { uuidv7 } from './uuidv7.js';

describe('uuidv7', () => {
  it('makes RFC 9562 version-7 ids carrying the millisecond timestamp', () => {
    const at = Date.UTC(2024, 4, 1, 8, 30);
    const id = uuidv7(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBeGreaterThanOrEqual(at);
    expect(entityIdSchema.safeParse(id).success).toBe(true);
  });

  it('sorts in creation order within one millisecond and when the clock steps back', () => {
    const ids = [uuidv7(5_000_000_000_000), ...Array.from({ length: 5000 }, () => uuidv7(5_000_000_000_000)), uuidv7(4_000_000_000_000)];
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
