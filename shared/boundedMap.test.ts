/** The bounded map behind routing's recent customers and the SQLite statement caches. */
import { describe, expect, it } from 'vitest';
import { createBoundedMap } from './boundedMap.js';

describe('a bounded map', () => {
  it('keeps its limit of most recently written entries, pushing out the oldest written', () => {
    const map = createBoundedMap<string, number>(3);
    for (const [index, key] of ['a', 'b', 'c'].entries()) expect(map.set(key, index)).toBeNull();
    // Writing `a` again makes it the newest: `b` is the oldest now.
    expect(map.set('a', 10)).toBeNull();
    expect(map.set('d', 3)).toEqual(['b', 1]);
    expect(map.size).toBe(3);
    expect([map.get('a'), map.get('b'), map.get('c'), map.get('d')]).toEqual([10, undefined, 2, 3]);
    for (let index = 0; index < 1000; index++) map.set(`text ${String(index)}`, index);
    expect(map.size).toBe(3);
    expect(map.delete('text 999')).toBe(true);
    map.clear();
    expect(map.size).toBe(0);
  });

  it('refuses a limit below one', () => {
    for (const limit of [0, -1, 1.5, Number.NaN]) expect(() => createBoundedMap(limit)).toThrow(RangeError);
  });
});
