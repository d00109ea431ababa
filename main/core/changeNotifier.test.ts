import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createChangeNotifier } from './changeNotifier.js';

describe('the changed-event coalescer', () => {
  let emitted: string[][];
  const notifier = () =>
    createChangeNotifier(
      (ids) => emitted.push(ids),
      50,
      () => Date.now(),
    );

  beforeEach(() => {
    vi.useFakeTimers();
    emitted = [];
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends a change after a quiet window on the next turn, with the rest of that turn, not a window later', () => {
    const changes = notifier();
    changes.add(['GD1']);
    changes.add(['GD2', 'GD1']);
    expect(emitted).toEqual([]);
    vi.advanceTimersByTime(0);
    expect(emitted).toEqual([['GD1', 'GD2']]);
  });

  it('sends a burst at most once per window: the first change at once, the rest together when the window ends', () => {
    const changes = notifier();
    changes.add(['GD1']);
    vi.advanceTimersByTime(0);
    for (let ms = 0; ms < 40; ms += 10) {
      changes.add([`GD${String(ms + 2)}`]);
      vi.advanceTimersByTime(10);
    }
    expect(emitted).toEqual([['GD1']]);
    vi.advanceTimersByTime(10);
    expect(emitted).toEqual([['GD1'], ['GD2', 'GD12', 'GD22', 'GD32']]);
    // Quiet again for a window: the next change goes out at once.
    vi.advanceTimersByTime(50);
    changes.add(['GD99']);
    vi.advanceTimersByTime(0);
    expect(emitted.at(-1)).toEqual(['GD99']);
  });

  it('reloads everything when any change said so, and flush and dispose act at once', () => {
    const changes = notifier();
    changes.add(['GD1']);
    changes.add([]);
    changes.add(['GD2']);
    changes.flush();
    expect(emitted).toEqual([[]]);
    changes.add(['GD3']);
    changes.dispose();
    vi.advanceTimersByTime(100);
    expect(emitted).toEqual([[]]);
  });
});
