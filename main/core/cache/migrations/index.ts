/** Every cache migration, in order. Append new ones; never edit one that has shipped. */
import { migration001Tickets } from './001-tickets.js';
import { migration002Outbox } from './002-outbox.js';
import { migration003Search } from './003-search.js';
import { migration004TicketFields } from './004-ticket-fields.js';
import { migration005Drafts } from './005-drafts.js';
import { migration006MessageChannels } from './006-message-channels.js';
import { migration007CustomerIdentities } from './007-customer-identities.js';
import { migration008DeferredSearch } from './008-deferred-search.js';
import { migration009MaskedContent } from './009-masked-content.js';
import { migration010AttentionFacts } from './010-attention-facts.js';
import { migration011InboxUnread } from './011-inbox-unread.js';
import { migration012Scripts } from './012-scripts.js';
import { migration013TicketOwnFields } from './013-ticket-own-fields.js';
import { migration014TicketRenames } from './014-ticket-renames.js';
import { migration015CustomerHistory } from './015-customer-history.js';
import { migration016Knowledge } from './016-knowledge.js';
import { migration017ReplySubjects } from './017-reply-subjects.js';
import { migration018BigramSearch } from './018-bigram-search.js';
import { migration019OutboxRowid } from './019-outbox-rowid.js';
import { migration020AttentionByMutation } from './020-attention-by-mutation.js';
import { migration021AttachmentBytes } from './021-attachment-bytes.js';
import { migration022NotesWithoutRowid } from './022-notes-without-rowid.js';
import { migration023SearchWalk } from './023-search-walk.js';
import { migration024AttentionContent } from './024-attention-content.js';
import { migration025ServerClock } from './025-server-clock.js';
import type { CacheMigration } from './migration.js';

export type { CacheMigration } from './migration.js';

export const CACHE_MIGRATIONS: readonly CacheMigration[] = [
  migration001Tickets,
  migration002Outbox,
  migration003Search,
  migration004TicketFields,
  migration005Drafts,
  migration006MessageChannels,
  migration007CustomerIdentities,
  migration008DeferredSearch,
  migration009MaskedContent,
  migration010AttentionFacts,
  migration011InboxUnread,
  migration012Scripts,
  migration013TicketOwnFields,
  migration014TicketRenames,
  migration015CustomerHistory,
  migration016Knowledge,
  migration017ReplySubjects,
  migration018BigramSearch,
  migration019OutboxRowid,
  migration020AttentionByMutation,
  migration021AttachmentBytes,
  migration022NotesWithoutRowid,
  migration023SearchWalk,
  migration024AttentionContent,
  migration025ServerClock,
];
