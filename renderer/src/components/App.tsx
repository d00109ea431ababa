import { useAppStore, useT } from '../store/react.js';
import { AttentionDialog } from './AttentionDialog.js';
import { CacheResetNotice } from './CacheResetNotice.js';
import { CallCards } from './CallCards.js';
import { CoreProcessNotice } from './CoreProcessNotice.js';
import { Header } from './Header.js';
import { Inbox } from './Inbox.js';
import { LaunchLinkNeeded } from './LaunchLinkNeeded.js';
import { OfferCards } from './OfferCards.js';
import { PresenceNotice } from './PresenceNotice.js';
import { ReportsView } from './ReportsView.js';
import { BoardView } from './BoardView.js';
import { AlertsView } from './AlertsView.js';
import { AdminView } from './AdminView.js';
import { RoutingNotice } from './RoutingNotice.js';
import { ScriptsManager } from './ScriptsManager.js';
import { KnowledgeManager } from './KnowledgeManager.js';
import { NewTicketDialog } from './NewTicketDialog.js';
import { KeyboardShortcuts, WindowTitle } from './Shortcuts.js';
import { SignIn } from './SignIn.js';
import { TeamView } from './TeamView.js';
import { TicketPane } from './TicketPane.js';

export function App() {
  const t = useT();
  const sessionChecked = useAppStore((s) => s.sessionChecked);
  const signedIn = useAppStore((s) => s.user !== null);
  const view = useAppStore((s) => s.view);
  const hostLink = useAppStore((s) => s.hostLink);
  const newTicketOpen = useAppStore((s) => s.newTicketOpen);
  if (hostLink !== 'ok') return <LaunchLinkNeeded />;
  if (!sessionChecked) return <p className="splash muted">{t('inbox.loading')}</p>;
  if (!signedIn) return <SignIn />;
  return (
    <div className="workstation">
      <Header />
      <div className="workstation-notices">
        <CoreProcessNotice />
        <CacheResetNotice />
        <PresenceNotice />
        {/* Away from the inbox the call cards sit under the header, pushing the view down. */}
        {view === 'inbox' ? null : <CallCards />}
      </div>
      <RoutingNotice />
      {view === 'team' ? (
        <TeamView />
      ) : view === 'board' ? (
        <BoardView />
      ) : view === 'reports' ? (
        <ReportsView />
      ) : view === 'alerts' ? (
        <AlertsView />
      ) : view === 'admin' ? (
        <AdminView />
      ) : (
        <main className="workspace">
          <Inbox />
          {/* The call cards dock above the ticket, beside the inbox: they push the ticket down and never cover a row. */}
          <div className="work-column">
            <CallCards />
            <TicketPane />
          </div>
        </main>
      )}
      <OfferCards />
      <AttentionDialog />
      <ScriptsManager />
      <KnowledgeManager />
      {newTicketOpen ? <NewTicketDialog /> : null}
      <KeyboardShortcuts />
      <WindowTitle />
    </div>
  );
}
