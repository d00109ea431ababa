/**
 * A Map that keeps only its `limit` most recently written entries: routing remembers recent
 * customers (last agent, VIP tier) without growing with every customer the process has seen,
 * and the SQLite statement caches (server and workstation) hold a bounded number of texts.
 */
export interface BoundedMap<K, V> {
  readonly limit: number;
  readonly size: number;
  get(key: K): V | undefined;
  /** Writes the entry as the newest; returns the entry pushed out to stay within the limit, if any. */
  set(key: K, value: V): [K, V] | null;
  delete(key: K): boolean;
  clear(): void;
}

export function createBoundedMap<K, V>(limit: number): BoundedMap<K, V> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`A bounded map needs a limit of at least 1 (got ${String(limit)})`);
  // A Map iterates in insertion order: deleting before setting makes the key the newest.
  const entries = new Map<K, V>();
  return {
    limit,
    get size() {
      return entries.size;
    },
    get: (key) => entries.get(key),
    set(key, value) {
      entries.delete(key);
      entries.set(key, value);
      if (entries.size <= limit) return null;
      const oldest = entries.entries().next().value!;
      entries.delete(oldest[0]);
      return oldest;
    },
    delete: (key) => entries.delete(key),
    clear: () => entries.clear(),
  };
}
