import { useAppStore, useT } from '../store/react.js';
import { AttentionBanner } from './AttentionBanner.js';
import { Header } from './Header.js';
import { Inbox } from './Inbox.js';
import { SignIn } from './SignIn.js';
import { TicketPane } from './TicketPane.js';

export function App() {
  const t = useT();
  const sessionChecked = useAppStore((s) => s.sessionChecked);
  const signedIn = useAppStore((s) => s.user !== null);
  if (!sessionChecked) return <p className="splash muted">{t('inbox.loading')}</p>;
  if (!signedIn) return <SignIn />;
  return (
    <div className="workstation">
      <Header />
      <AttentionBanner />
      <main className="workspace">
        <Inbox />
        <TicketPane />
      </main>
    </div>
  );
}
