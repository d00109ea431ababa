import type { Message } from '../../../shared/domain.js';
import { isReadUpTo } from '../../../shared/webchat.js';
import { isVisitorTyping } from '../store/chatSlice.js';
import { useAppStore, useT } from '../store/react.js';
import { useNow } from './useNow.js';

/** "Customer is typing…" under the conversation while the web chat visitor writes (hidden once the signal is stale). */
export function VisitorTyping({ ticketId }: { ticketId: string }) {
  const t = useT();
  const now = useNow();
  const typing = useAppStore((s) => isVisitorTyping(s, ticketId, now));
  if (!typing) return null;
  return (
    <p className="chat-typing" role="status" aria-live="polite">
      <span className="chat-typing-dots" aria-hidden="true">
        <span />
        <span />
        <span />
      </span>
      {t('chat.visitorTyping')}
    </p>
  );
}

/** "Read" on an agent message the web chat visitor has seen (the read watermark covers it). */
export function ReadMark({ message }: { message: Pick<Message, 'id' | 'ticketId' | 'createdAt' | 'direction'> & { pending: boolean } }) {
  const t = useT();
  const mark = useAppStore((s) => s.readMarks[message.ticketId]);
  if (!mark || message.direction !== 'outbound' || message.pending || !isReadUpTo(message, mark)) return null;
  return (
    <span className="read-mark" title={t('chat.readTitle')}>
      {t('chat.read')}
    </span>
  );
}
