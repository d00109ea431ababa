/**
 * The knowledge base (知识库) on the workstation, for one signed-in session, shaped like the
 * scripts session (main/core/scripts/scriptSession.ts): the side panel searches and reads the
 * cache, so it works with the server down; the cache is refreshed from the server (`kb:list`)
 * whenever the socket connects and whenever the server says the articles changed
 * (`kb:changed`), and each refresh is passed on as the `knowledge` event, so an open panel
 * shows a lead's accepted edit without a reload. Suggestions and writes need the server: it
 * decides who may do what, and the cache is refreshed from it, never edited locally.
 * See docs/technical/knowledge.md.
 */
import {
  knowledgeChangedSchema,
  knowledgeDecideResultSchema,
  knowledgeHistoryResultSchema,
  knowledgeListResultSchema,
  knowledgeSaveResultSchema,
  knowledgeSuggestionsResultSchema,
  knowledgeSuggestResultSchema,
  type KnowledgeDecideRequest,
  type KnowledgeHistoryRequest,
  type KnowledgeSaveRequest,
  type KnowledgeSuggestRequest,
} from '../../../shared/knowledge.js';
import type { RpcEventName, RpcEvents, RpcResults } from '../../../shared/rpc.js';
import { askServer } from '../askServer.js';
import { createCoalescedRefresh } from '../coalescedRefresh.js';
import type { Cache } from '../cache/cache.js';
import { RpcError } from '../errors.js';
import type { WorkstationSocket } from '../sync/syncClient.js';

/** How long a knowledge request waits for the server. */
export const KNOWLEDGE_REQUEST_TIMEOUT_MS = 10_000;

export interface KnowledgeSessionOptions {
  socket: WorkstationSocket;
  cache: Cache;
  now: () => number;
  emit<E extends RpcEventName>(event: E, payload: RpcEvents[E]): void;
  log?: (line: string) => void;
}

export interface KnowledgeSession {
  save(request: KnowledgeSaveRequest): Promise<RpcResults['knowledge.save']>;
  suggest(request: KnowledgeSuggestRequest): Promise<RpcResults['knowledge.suggest']>;
  suggestions(): Promise<RpcResults['knowledge.suggestions']>;
  decide(request: KnowledgeDecideRequest): Promise<RpcResults['knowledge.decide']>;
  history(request: KnowledgeHistoryRequest): Promise<RpcResults['knowledge.history']>;
  stop(): void;
}

export function startKnowledgeSession(options: KnowledgeSessionOptions): KnowledgeSession {
  const { socket, cache } = options;
  let stopped = false;

  async function fetchOnce(): Promise<void> {
    const { articles } = await askServer(socket, 'kb:list', {}, knowledgeListResultSchema, KNOWLEDGE_REQUEST_TIMEOUT_MS);
    if (stopped) return;
    const at = options.now();
    cache.writer.replaceKnowledge(articles, at);
    options.emit('knowledge', { fetchedAt: at, count: articles.length });
  }

  /** Fetches the articles into the cache now (see createCoalescedRefresh). */
  const refresh = createCoalescedRefresh(fetchOnce, () => stopped);

  function refreshQuietly(): void {
    refresh().catch((error: unknown) => {
      // The cache keeps what it had; the next connect or change fetches again.
      options.log?.(`knowledge: could not refresh the articles (${error instanceof Error ? error.message : String(error)})`);
    });
  }

  function onChanged(raw: unknown): void {
    const parsed = knowledgeChangedSchema.safeParse(raw);
    if (stopped || !parsed.success) return;
    if (parsed.data.articles) refreshQuietly();
    if (parsed.data.suggestions) options.emit('knowledgeSuggestions', {});
  }

  function requireConnected(what: string): void {
    if (!socket.connected) throw new RpcError('offline', `You are offline: ${what} once the connection is back.`);
  }

  socket.on('connect', refreshQuietly);
  socket.on('kb:changed', onChanged);
  if (socket.connected) refreshQuietly();

  return {
    async save(request) {
      requireConnected('articles can be saved');
      const result = await askServer(socket, 'kb:save', request, knowledgeSaveResultSchema, KNOWLEDGE_REQUEST_TIMEOUT_MS);
      // The writer sees their change at once, without waiting for the push.
      await refresh().catch(() => undefined);
      return result;
    },
    async suggest(request) {
      requireConnected('suggestions can be sent');
      return askServer(socket, 'kb:suggest', request, knowledgeSuggestResultSchema, KNOWLEDGE_REQUEST_TIMEOUT_MS);
    },
    async suggestions() {
      requireConnected('suggestions can be read');
      return askServer(socket, 'kb:suggestions', {}, knowledgeSuggestionsResultSchema, KNOWLEDGE_REQUEST_TIMEOUT_MS);
    },
    async decide(request) {
      requireConnected('suggestions can be decided');
      const result = await askServer(socket, 'kb:decide', request, knowledgeDecideResultSchema, KNOWLEDGE_REQUEST_TIMEOUT_MS);
      if (result.article) await refresh().catch(() => undefined);
      return result;
    },
    async history(request) {
      // The audit is the server's alone: the cache keeps articles, not who changed them.
      requireConnected('the history can be read');
      return askServer(socket, 'kb:history', request, knowledgeHistoryResultSchema, KNOWLEDGE_REQUEST_TIMEOUT_MS);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      socket.off('connect', refreshQuietly);
      socket.off('kb:changed', onChanged);
    },
  };
}
