/**
 * How an agent's tickets held on a channel stand against their capacity there, as the team
 * board colours the cell. At capacity is the normal state of a busy floor (routing offers no
 * more, nothing is wrong); only over it (a lead's pin or transfer, a capacity lowered under what
 * is held) needs the lead's eye.
 */
export type CapacityState = 'below' | 'full' | 'over';

export function capacityState(held: number, capacity: number): CapacityState {
  if (held > capacity) return 'over';
  return held === capacity ? 'full' : 'below';
}
