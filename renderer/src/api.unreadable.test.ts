import { afterEach, expect, it } from 'vitest';
import { createWebSocketApi } from './api.js';

type Listener = (event: { data?: unknown; code?: number }) => void;

/** A host that answers every request with an error code this page does not know (what a newer core would send an older page). */
class HostFromTheFuture {
  readonly listeners = new Map<string, Listener[]>();
  constructor() {
    queueMicrotask(() => this.fire('open', {}));
  }
  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  send(raw: string): void {
    const request = JSON.parse(raw) as { id: number };
    const answer = { type: 'response', id: request.id, ok: false, error: { code: 'a_code_from_the_future', message: 'x' } };
    queueMicrotask(() => this.fire('message', { data: JSON.stringify(answer) }));
  }
  close(): void {
    this.fire('close', { code: 1000 });
  }
  private fire(type: string, event: { data?: unknown; code?: number }): void {
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }
}

const saved = (globalThis as { WebSocket?: unknown }).WebSocket;
afterEach(() => {
  (globalThis as { WebSocket?: unknown }).WebSocket = saved;
});

it('ends a call whose answer does not match the envelope instead of leaving it waiting', async () => {
  (globalThis as { WebSocket?: unknown }).WebSocket = HostFromTheFuture;
  const api = createWebSocketApi('ws://127.0.0.1:1/');
  const outcome = await api.invoke('session.get', {}).then(
    () => null,
    (error: unknown) => error as { code: string; message: string },
  );
  expect(outcome?.code).toBe('internal');
  expect(outcome?.message).toContain('cannot read');
});
