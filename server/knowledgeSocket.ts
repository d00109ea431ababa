/**
 * The knowledge base over the sync socket (shared/knowledge.ts), shaped like the scripts
 * libraries (server/scriptSocket.ts): `kb:list` answers what the caller may read (published
 * articles for agents, every article for leads and admins), `kb:suggestions` the caller's own
 * suggestions or all of them; the writes (`kb:save`, `kb:suggest`, `kb:decide`) spend the
 * per-user `knowledgeWritesPerUser` budget first, and the store decides the roles in the
 * write's transaction. After the commit the readers are told `kb:changed` through rooms, so a
 * second node's sockets hear it through the cluster adapter: a change to an article agents can
 * read (or could until this change) goes to every signed-in socket, a draft's to the leads and
 * admins only, a suggestion change to the leads and admins and to its author. `kb:history`
 * answers leads and admins an article's audit (who did what when, which fields changed).
 */
import {
  canEditKnowledge,
  knowledgeDecideRequestSchema,
  knowledgeHistoryRequestSchema,
  knowledgeListRequestSchema,
  knowledgeSaveRequestSchema,
  knowledgeSuggestionsRequestSchema,
  knowledgeSuggestRequestSchema,
  type KnowledgeChanged,
} from '../shared/knowledge.js';
import { KnowledgeRefusal } from './knowledgeStore.js';
import type { SyncServer } from './liveHub.js';
import type { RateLimiters } from './rateLimits.js';
import type { ServerStore } from './store.js';
import { handle, SyncRefusal } from './sync.js';

export interface KnowledgeSocketDependencies {
  store: ServerStore;
  rateLimits: RateLimiters;
  now: () => number;
  log: (line: string) => void;
}

/** Every signed-in socket: the readers of the articles. */
const READERS_ROOM = 'kb:readers';
/** Leads' and admins' sockets: they see every suggestion. */
const EDITORS_ROOM = 'kb:editors';
/** A user's sockets: the author of a suggestion hears its decision. */
function authorRoom(userId: string): string {
  return `kb:user:${userId}`;
}

function refusalOf(error: unknown): unknown {
  return error instanceof KnowledgeRefusal ? new SyncRefusal(error.code, error.message) : error;
}

/** Wires the knowledge requests into the socket server; call after `attachSync` (its middleware authenticates). */
export function attachKnowledge(io: SyncServer, deps: KnowledgeSocketDependencies): void {
  const { store } = deps;

  function tell(change: KnowledgeChanged, authorId: string | null): void {
    if (change.articles) {
      io.to(READERS_ROOM).emit('kb:changed', change);
      return;
    }
    const rooms = authorId === null ? [EDITORS_ROOM] : [EDITORS_ROOM, authorRoom(authorId)];
    io.to(rooms).emit('kb:changed', change);
  }

  io.on('connection', (socket) => {
    const { user } = socket.data;
    void socket.join(canEditKnowledge(user) ? [READERS_ROOM, EDITORS_ROOM, authorRoom(user.id)] : [READERS_ROOM, authorRoom(user.id)]);

    async function spend(): Promise<void> {
      const verdict = await deps.rateLimits.knowledgeWritesPerUser.consume(user.id);
      if (!verdict.ok) {
        if (verdict.firstRefusal) deps.log(`kb: ${user.username} is over the knowledge write limit`);
        throw new SyncRefusal('rate_limited', `Too many knowledge base changes; try again in ${String(Math.ceil(verdict.retryAfterMs / 1000))} s.`);
      }
    }

    function refused(error: unknown): never {
      throw refusalOf(error);
    }

    handle(socket, deps, 'kb:list', knowledgeListRequestSchema, async () => ({ articles: await store.knowledge.listFor(user) }));
    handle(socket, deps, 'kb:suggestions', knowledgeSuggestionsRequestSchema, async () => ({
      suggestions: await store.knowledge.suggestionsFor(user),
    }));
    handle(socket, deps, 'kb:history', knowledgeHistoryRequestSchema, async ({ id }) => ({
      entries: await store.knowledge.history(user, id).catch(refused),
    }));

    handle(
      socket,
      deps,
      'kb:save',
      knowledgeSaveRequestSchema,
      async ({ id, expectedVersion, article }) => {
        await spend();
        const wasPublished = id !== undefined && (await store.knowledge.isPublished(id));
        const saved = await store.knowledge.save(user, id, article, deps.now(), expectedVersion).catch(refused);
        // A draft edited while every workstation would fetch the whole list again: only the editors need it.
        if (wasPublished || saved.status === 'published') tell({ articles: true, suggestions: false }, null);
        else io.to(EDITORS_ROOM).emit('kb:changed', { articles: true, suggestions: false });
        return { article: saved };
      },
      // A refused write is worth a line: someone writing where they may not.
      { logRefusals: true },
    );

    handle(
      socket,
      deps,
      'kb:suggest',
      knowledgeSuggestRequestSchema,
      async ({ articleId, content, note }) => {
        await spend();
        const suggestion = await store.knowledge.suggest(user, articleId, content, note, deps.now()).catch(refused);
        tell({ articles: false, suggestions: true }, user.id);
        return { suggestion };
      },
      { logRefusals: true },
    );

    handle(
      socket,
      deps,
      'kb:decide',
      knowledgeDecideRequestSchema,
      async (request) => {
        await spend();
        const decided = await store.knowledge.decide(user, request, deps.now()).catch(refused);
        // An accepted suggestion changed an article (everyone refetches, suggestions too); a declined one concerns its author and the leads.
        tell({ articles: decided.article !== null, suggestions: true }, decided.suggestion.authorId);
        return decided;
      },
      { logRefusals: true },
    );
  });
}
