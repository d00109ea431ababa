import { useShallow } from 'zustand/react/shallow';
import { boardRowAlerts, formatBoardDayCell, type BoardSnapshot } from '../../../shared/board.js';
import { formatCountdown } from '../../../shared/sla.js';
import { REPORT_WORDS, formatReportCell, type ReportLanguage } from '../../../shared/reports.js';
import { formatDateTime, zoneName } from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';
import { useNow } from './useNow.js';
import { BoardCharts } from './BoardCharts.js';

/**
 * The leads' channel board (渠道处理状态跟踪表): one row per channel, live. Every figure is
 * the server's (pushed through the core); cells a lead must look at are highlighted and say
 * why in words too, not by colour alone.
 */
export function BoardView() {
  const t = useT();
  const { board, language, timeZone } = useAppStore(useShallow((s) => ({ board: s.board, language: s.language, timeZone: s.orgTimeZone })));
  const lang: ReportLanguage = language === 'en' ? 'en' : 'zh';
  const words = REPORT_WORDS[lang];
  return (
    <main className="board-view reports-view" aria-labelledby="board-title">
      <div className="reports-toolbar">
        <h2 id="board-title">{t('board.title')}</h2>
        {board ? (
          <span className="muted small" role="status">
            {t('board.updated', { day: board.day, at: formatDateTime(language, board.at), zone: zoneName(t, timeZone) })}
          </span>
        ) : null}
      </div>
      {board ? (
        <>
          {/* Key numbers side by side (channels | queues) so the charts start above the fold at 1280×800 (issue 11). */}
          <div className="board-key">
            <section className="board-key-channels" aria-labelledby="board-channels-title">
              <h3 id="board-channels-title">{t('board.table')}</h3>
              <table className="reports-table board-table" aria-labelledby="board-channels-title">
                <thead>
                  <tr>
                    <th scope="col">{t('board.channel')}</th>
                    <th scope="col" className="num">
                      {t('board.pending')}
                    </th>
                    <th scope="col" className="num">
                      {t('board.inProgress')}
                    </th>
                    <th scope="col" className="num">
                      {t('board.completedToday')}
                    </th>
                    <th scope="col" className="num" title={t('board.todayTotalTitle')}>
                      {t('board.todayTotal')}
                    </th>
                    <th scope="col" className="num">
                      {words.column.avgFirstResponseMinutes}
                    </th>
                    <th scope="col" className="num" title={t('board.firstResponseOverdueTitle')}>
                      {t('board.firstResponseOverdue')}
                    </th>
                    <th scope="col" className="num">
                      {words.column.avgHandlingMinutes}
                    </th>
                    <th scope="col" className="num">
                      {words.column.overdue}
                    </th>
                    <th scope="col" className="num">
                      {words.column.overdueRate}
                    </th>
                    <th scope="col" className="num" title={t('board.csatTitle')}>
                      {t('board.csatToday')}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {board.rows.map((row) => {
                    const alerts = boardRowAlerts(row, board.backlogThreshold);
                    return (
                      <tr key={row.channel} data-channel={row.channel}>
                        <th scope="row">{words.channel[row.channel]}</th>
                        <td
                          className={`num${alerts.backlog ? ' board-alert' : ''}`}
                          data-figure="pending"
                          title={alerts.backlog ? t('board.backlogTitle', { threshold: row.backlogThreshold ?? board.backlogThreshold }) : undefined}
                        >
                          {alerts.backlog ? <span className="board-badge">{t('board.backlog')}</span> : null}
                          {row.pending}
                        </td>
                        <td className="num" data-figure="inProgress">
                          {row.inProgress}
                        </td>
                        <td className="num" data-figure="completed">
                          {row.day.completed}
                        </td>
                        <td className="num" data-figure="total">
                          {row.day.total}
                        </td>
                        <td className="num" data-figure="firstResponse">
                          {formatReportCell(row.today, 'avgFirstResponseMinutes')}
                        </td>
                        <td className={`num${row.firstResponseOverdue > 0 ? ' board-alert' : ''}`} data-figure="firstResponseOverdue">
                          {row.firstResponseOverdue}
                        </td>
                        <td className="num" data-figure="handling">
                          {formatBoardDayCell(row.day, 'avgHandlingMinutes')}
                        </td>
                        <td className="num" data-figure="overdue">
                          {row.day.overdue}
                        </td>
                        <td
                          className={`num${alerts.overdue ? ' board-alert' : ''}`}
                          data-figure="overdueRate"
                          title={alerts.overdue ? t('board.overdueTitle') : undefined}
                        >
                          {formatBoardDayCell(row.day, 'overdueRate')}
                        </td>
                        <td
                          className="num"
                          data-figure="csat"
                          title={
                            row.day.csatAnswered > 0
                              ? t('board.csatCellTitle', { satisfied: row.day.csatSatisfied, answered: row.day.csatAnswered })
                              : undefined
                          }
                        >
                          {formatBoardDayCell(row.day, 'csatPercent')}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </section>
            <section className="board-key-queues" aria-labelledby="board-queues-title">
              <QueueTable board={board} lang={lang} />
            </section>
          </div>
          <p className="muted small reports-notes">{t('board.notes', { threshold: board.backlogThreshold, zone: zoneName(t, timeZone) })}</p>
          <BoardCharts />
        </>
      ) : (
        <p className="muted">{t('board.waiting')}</p>
      )}
    </main>
  );
}

/** Per queue (channel × group): who waits, since when (ticking), how many are about to breach (at risk, not yet past due) and how many have breached. */
function QueueTable({ board, lang }: { board: BoardSnapshot; lang: ReportLanguage }) {
  const t = useT();
  const now = useNow();
  const words = REPORT_WORDS[lang];
  return (
    <>
      <h3 id="board-queues-title">{t('board.queues')}</h3>
      {board.queues.length === 0 ? (
        <p className="muted">{t('board.queuesEmpty')}</p>
      ) : (
        <table className="reports-table board-table board-queues" aria-labelledby="board-queues-title">
          <thead>
            <tr>
              <th scope="col">{t('board.channel')}</th>
              <th scope="col">{t('board.group')}</th>
              <th scope="col" className="num">
                {t('board.queueWaiting')}
              </th>
              <th scope="col" className="num">
                {t('board.longestWait')}
              </th>
              <th scope="col" className="num">
                {t('board.atRisk')}
              </th>
              <th scope="col" className="num">
                {t('board.breached')}
              </th>
            </tr>
          </thead>
          <tbody>
            {board.queues.map((queue) => (
              <tr key={`${queue.channel}:${queue.group ?? ''}`} data-channel={queue.channel} data-group={queue.group ?? ''}>
                <th scope="row">{words.channel[queue.channel]}</th>
                <td>{t(queue.group ? `queue.group.${queue.group}` : 'queue.group.none')}</td>
                <td className="num" data-figure="waiting">
                  {queue.waiting}
                </td>
                <td className="num" data-figure="longestWait">
                  {formatCountdown(Math.max(0, now - queue.oldestSince))}
                </td>
                {/* `breaching` counts the breached too (shared/queue.ts): the two columns split it. */}
                <td className={`num${queue.breaching - queue.breached > 0 ? ' board-alert' : ''}`} data-figure="atRisk">
                  {queue.breaching - queue.breached}
                </td>
                <td className={`num${queue.breached > 0 ? ' board-alert' : ''}`} data-figure="breached">
                  {queue.breached}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
