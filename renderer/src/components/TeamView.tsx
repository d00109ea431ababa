import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { CHANNELS, type Channel } from '../../../shared/domain.js';
import type { BoardAgent } from '../../../shared/board.js';
import type { AgentStatus } from '../../../shared/routing.js';
import { capacityState } from '../capacityState.js';
import { countdownText } from '../countdownText.js';
import { channelKey, type Translate } from '../i18n.js';
import { parsePresenceChoice, presenceChoices, presenceChoiceValue, presenceText } from '../presenceChoice.js';
import { useAppStore, useT } from '../store/react.js';
import { ChannelIcon } from './ChannelIcon.js';
import { useNow } from './useNow.js';

function durationText(t: Translate, ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 60) return t('team.idleMinutes', { m: minutes });
  return t('team.idleHours', { h: Math.floor(minutes / 60), m: minutes % 60 });
}

function idleText(t: Translate, agent: AgentStatus, now: number): string {
  return agent.lastAssignedAt === null ? t('team.never') : durationText(t, now - agent.lastAssignedAt);
}

/** The capacity of one channel: typed freely, saved on Enter or when the field is left (remounted when the saved value changes). */
function CapacityInput({ agent, channel }: { agent: AgentStatus; channel: Channel }) {
  const t = useT();
  const setAgentCapacity = useAppStore((s) => s.setAgentCapacity);
  const saved = agent.capacity[channel];
  const [value, setValue] = useState(String(saved));

  function commit() {
    const next = Number(value);
    if (!Number.isInteger(next) || next < 0 || next > 200) {
      setValue(String(saved));
      return;
    }
    if (next !== saved) void setAgentCapacity(agent.userId, channel, next);
  }

  return (
    <input
      type="number"
      min={0}
      max={channel === 'email' ? 200 : 100}
      className="capacity-input"
      aria-label={t('team.capacityOf', { channel: t(channelKey(channel)), name: agent.displayName })}
      value={value}
      onChange={(e) => setValue(e.target.value)}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === 'Enter') commit();
        if (e.key === 'Escape') setValue(String(saved));
      }}
    />
  );
}

/** What the agent is on now (the ticket open on their screen) and their oldest open ticket, each a link that opens it. */
function AgentNow({ agent, facts, now }: { agent: AgentStatus; facts: BoardAgent | undefined; now: number }) {
  const t = useT();
  const openFromTeam = useAppStore((s) => s.openTicketFromTeam);
  const viewing = facts?.viewingTicketId ?? null;
  const oldest = facts?.oldestOpen ?? null;
  return (
    <>
      <td className="team-now">
        {viewing ? (
          <button
            type="button"
            className="link-button team-ticket"
            title={t('team.viewingTitle', { name: agent.displayName })}
            onClick={() => openFromTeam(viewing)}
          >
            {t('team.viewing', { id: viewing })}
          </button>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td className="team-oldest">
        {oldest ? (
          <button
            type="button"
            className="link-button team-ticket"
            title={t('team.oldestTitle', { name: agent.displayName, age: durationText(t, now - oldest.createdAt) })}
            onClick={() => openFromTeam(oldest.ticketId)}
          >
            {/* One unbreakable line (routing.css): wrapped, the age's "· 3 小时 29 分钟" went under the id, parted from it. */}
            {oldest.ticketId} {t('team.oldestAge', { age: durationText(t, now - oldest.createdAt) })}
          </button>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
    </>
  );
}

function AgentRow({ agent, facts, now }: { agent: AgentStatus; facts: BoardAgent | undefined; now: number }) {
  const t = useT();
  const setAgentPresence = useAppStore((s) => s.setAgentPresence);
  const inWrapUp = agent.wrapUpUntil !== null && agent.wrapUpUntil > now;
  return (
    <tr className={`team-row presence-${agent.presence}`}>
      <th scope="row" className="team-agent">
        <span className="team-name">{agent.displayName}</span>
        <span className="team-username muted">{agent.username}</span>
        <span className="team-tags">
          <span className="tag">{t('team.tier', { tier: agent.tier })}</span>
          {agent.senior ? <span className="tag tag-senior">{t('team.senior')}</span> : null}
        </span>
      </th>
      <td className="team-presence">
        {/* The dot and the select on one line: in English the column is narrower than both, and the dot sat alone above the select. */}
        <span className="team-presence-pick">
          <span className="presence-dot" aria-hidden="true" />
          <select
            aria-label={t('team.presenceOf', { name: agent.displayName })}
            value={presenceChoiceValue(agent)}
            onChange={(e) => {
              const choice = parsePresenceChoice(e.target.value);
              if (choice) void setAgentPresence(agent.userId, choice.presence, choice.awayReason);
            }}
          >
            {presenceChoices().map((choice) => (
              <option key={presenceChoiceValue(choice)} value={presenceChoiceValue(choice)}>
                {presenceText(t, choice)}
              </option>
            ))}
          </select>
        </span>
        {agent.presence !== 'available' && agent.presence !== 'offline' ? (
          <span className="presence-since muted small">{t('team.since', { duration: durationText(t, now - agent.presenceSince) })}</span>
        ) : null}
        {!agent.connected ? <span className="muted small">{t('team.disconnected')}</span> : null}
        {agent.onCall ? <span className="on-call-tag">{t('team.onCall')}</span> : null}
        {inWrapUp ? (
          <span className="wrap-up-tag">
            {agent.wrapUpChannel
              ? t('team.wrapUpOn', { channel: t(channelKey(agent.wrapUpChannel)), time: countdownText(agent.wrapUpUntil! - now) })
              : t('team.wrapUp', { time: countdownText(agent.wrapUpUntil! - now) })}
          </span>
        ) : null}
        {agent.offers > 0 ? <span className="offer-count">{t('team.offers', { n: agent.offers })}</span> : null}
      </td>
      {CHANNELS.map((channel) => {
        const skilled = agent.channels.includes(channel);
        // Tickets held only: the load also counts offers waiting, which the presence cell shows on their own.
        const held = Math.max(0, agent.load[channel] - agent.offered[channel]);
        // Red only over capacity; at it (amber) is a busy agent, the normal state (renderer/src/capacityState.ts).
        const state = skilled ? capacityState(held, agent.capacity[channel]) : 'below';
        return (
          <td
            key={channel}
            className={`team-load${skilled ? '' : ' no-skill'}${state === 'below' ? '' : ` ${state}`}`}
            title={state === 'over' ? t('team.overCapacity') : state === 'full' ? t('team.atCapacity') : undefined}
          >
            {skilled ? (
              <>
                <span className="load-cell">
                  <span className="load-now">{held}</span>
                  <span aria-hidden="true">/</span>
                  {/* Keyed by the saved value, so a change from elsewhere shows up in the field. */}
                  <CapacityInput key={agent.capacity[channel]} agent={agent} channel={channel} />
                </span>
                {/* On its own line under the load: the row fits a 1280 px window with "On now" and "Oldest open". */}
                {channel === 'phone' && agent.channels.includes('chat') ? <PhoneBlocksChat agent={agent} /> : null}
              </>
            ) : (
              <span className="muted" title={t('team.noSkill', { channel: t(channelKey(channel)) })}>
                —
              </span>
            )}
          </td>
        );
      })}
      <AgentNow agent={agent} facts={facts} now={now} />
      <td className="team-idle">{agent.presence === 'available' ? idleText(t, agent, now) : '—'}</td>
    </tr>
  );
}

/** Whether an agent on a call is offered chats; only agents with both skills have the choice. */
function PhoneBlocksChat({ agent }: { agent: AgentStatus }) {
  const t = useT();
  const setPhoneBlocksChat = useAppStore((s) => s.setPhoneBlocksChat);
  return (
    <label className="phone-blocks-chat small" title={t('team.phoneBlocksChatHint')}>
      <input
        type="checkbox"
        checked={agent.phoneBlocksChat}
        aria-label={t('team.phoneBlocksChatOf', { name: agent.displayName })}
        onChange={(e) => void setPhoneBlocksChat(agent.userId, e.target.checked)}
      />
      {t('team.phoneBlocksChat')}
    </label>
  );
}

/** Leads' team board (团队): every agent's presence, load against capacity, and idle time. */
export function TeamView() {
  const t = useT();
  const now = useNow();
  const { agents, agentsLoaded, loadAgents, boardAgents } = useAppStore(
    useShallow((s) => ({ agents: s.agents, agentsLoaded: s.agentsLoaded, loadAgents: s.loadAgents, boardAgents: s.board?.agents })),
  );
  const sorted = [...agents].sort((a, b) => a.username.localeCompare(b.username));
  // What each agent is on (open ticket, oldest open) comes with the board push; routing's status has the rest.
  const factsOf = new Map((boardAgents ?? []).map((facts) => [facts.userId, facts]));
  return (
    <main className="team-view" aria-labelledby="team-title">
      <div className="team-toolbar">
        <h2 id="team-title">{t('team.title')}</h2>
        <button type="button" onClick={() => void loadAgents()}>
          {t('team.refresh')}
        </button>
      </div>
      {!agentsLoaded ? <p className="muted">{t('team.loading')}</p> : null}
      {agentsLoaded && agents.length === 0 ? <p className="muted">{t('team.empty')}</p> : null}
      {agents.length > 0 ? (
        <table className="team-table">
          <thead>
            <tr>
              <th scope="col">{t('team.agent')}</th>
              <th scope="col">{t('team.presence')}</th>
              {CHANNELS.map((channel) => (
                <th scope="col" key={channel} className="team-load-head">
                  <ChannelIcon channel={channel} decorative /> {t(channelKey(channel))}
                  <span className="muted small"> {t('team.load')}</span>
                </th>
              ))}
              <th scope="col">{t('team.now')}</th>
              <th scope="col">{t('team.oldest')}</th>
              <th scope="col">{t('team.idle')}</th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((agent) => (
              <AgentRow key={agent.userId} agent={agent} facts={factsOf.get(agent.userId)} now={now} />
            ))}
          </tbody>
        </table>
      ) : null}
    </main>
  );
}
