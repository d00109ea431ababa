#!/usr/bin/env node
// Posts one normalised, signed call event to OmniDesk's CTI webhook. Kamailio's `exec`
// module runs it on INVITE / 180 / 200 / BYE / failure (see kamailio.cfg next to it):
//   node cti-hook.mjs <callId> <event> <from> <to> [agentExtension]
// CTI_URL (e.g. http://127.0.0.1:4780/channels/cti/events) and CTI_SECRET come from the
// environment, so the secret never shows in a process list. Plain Node, no dependencies:
// it doubles as sample code for integrators.
import { createHmac } from 'node:crypto';

const [callId, event, from, to, agentExtension] = process.argv.slice(2);
const url = process.env.CTI_URL;
const secret = process.env.CTI_SECRET;
if (!callId || !event || !from || !to || !url || !secret) {
  console.error('usage: CTI_URL=… CTI_SECRET=… node cti-hook.mjs <callId> <event> <from> <to> [agentExtension]');
  process.exit(2);
}
const body = JSON.stringify({ callId, event, at: Date.now(), from, to, ...(agentExtension ? { agentExtension } : {}) });
const timestamp = Math.floor(Date.now() / 1000);
const signature = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
try {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-omnidesk-timestamp': String(timestamp), 'x-omnidesk-signature': signature },
    body,
    signal: AbortSignal.timeout(5000),
  });
  const text = await response.text();
  console.error(`cti-hook: ${event} ${callId} -> ${response.status} ${text}`);
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  console.error(`cti-hook: ${event} ${callId} failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
