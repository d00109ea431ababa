/**
 * The README's "Try it" (issue 12): on a fresh demo, with the workstation signed in as
 * agent1, the curl it prints must bring a new contact to agent1. The request is read out of
 * README.md (URL, headers and body exactly as written), so the README and this test cannot
 * drift apart. agent1 is the only agent signed in, as on a fresh `npm start`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../server/app.js';
import type { RpcEvents } from '../../../shared/rpc.js';
import type { WorkstationCore } from '../api.js';
import { createWorkstationCore } from '../index.js';
import { call, onlineAndIdle, waitUntil } from '../testing/coreCalls.js';

const README = fileURLToPath(new URL('../../../README.md', import.meta.url));

interface CurlRequest {
  url: URL;
  headers: Record<string, string>;
  body: string;
}

/** Splits a shell command line into words, honouring single quotes (all the README uses). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let current: string | null = null;
  let quoted = false;
  for (const char of line) {
    if (quoted) {
      if (char === "'") quoted = false;
      else current += char;
    } else if (char === "'") {
      quoted = true;
      current ??= '';
    } else if (/\s/.test(char)) {
      if (current !== null) words.push(current);
      current = null;
    } else {
      current = (current ?? '') + char;
    }
  }
  if (quoted) throw new Error('unterminated quote in the README curl');
  if (current !== null) words.push(current);
  return words;
}

/** The curl of the README's "Try it" paragraph: the first ```sh block after it. */
export function readmeTryItRequest(readme: string): CurlRequest {
  const after = readme.slice(readme.indexOf('\nTry it:'));
  const block = /```sh\n([\s\S]*?)```/.exec(after)?.[1];
  if (after.length === readme.length || block === undefined) throw new Error('README.md has no "Try it:" paragraph with a ```sh block');
  const words = shellWords(block.replace(/\\\n/g, ' '));
  if (words[0] !== 'curl') throw new Error(`the "Try it" block is not a curl: ${words[0] ?? '(empty)'}`);
  const headers: Record<string, string> = {};
  let url: URL | null = null;
  let body: string | null = null;
  for (let i = 1; i < words.length; i++) {
    const word = words[i]!;
    if (word === '-s') continue;
    if (word === '-H') {
      const header = words[++i]!;
      const colon = header.indexOf(':');
      headers[header.slice(0, colon).trim().toLowerCase()] = header.slice(colon + 1).trim();
    } else if (word === '-d') {
      body = words[++i]!;
    } else if (/^https?:\/\//.test(word)) {
      url = new URL(word);
    } else {
      throw new Error(`the README curl has "${word}", which this test does not know how to run`);
    }
  }
  if (!url || body === null) throw new Error('the README curl needs a URL and -d');
  return { url, headers, body };
}

describe("the README's Try it", () => {
  let root: string;
  let server: RunningServer;
  let agent: WorkstationCore;
  const offered = new Set<string>();

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'readme-try-it-'));
    server = await startServer({ port: 0, dataDir: path.join(root, 'server'), demo: true, log: () => {} });
    agent = await createWorkstationCore({ dataDir: path.join(root, 'agent1'), serverUrl: server.url });
    agent.onEvent((event, payload) => {
      if (event === 'offers') for (const offer of (payload as RpcEvents['offers']).offers) offered.add(offer.ticketId);
    });
    await call(agent, 'session.signIn', { username: 'agent1', password: 'demo' });
    await waitUntil(agent, 'agent1 is online', onlineAndIdle(agent));
  }, 60_000);

  afterAll(async () => {
    await agent?.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('brings a new contact to agent1 on a fresh demo', async () => {
    const request = readmeTryItRequest(readFileSync(README, 'utf8'));
    expect(request.url.origin).toBe('http://127.0.0.1:4780');
    const { customer } = JSON.parse(request.body) as { customer: { name: string; phone: string } };
    // Not a seeded customer: a returning one goes to the agent who last served them when they are online (routing.md).
    expect(await server.store.findCustomerByPhone(customer.phone)).toBeNull();

    const response = await fetch(new URL(request.url.pathname, server.url), { method: 'POST', headers: request.headers, body: request.body });
    expect(response.status, await response.clone().text()).toBe(201);
    const { ticketId } = (await response.json()) as { ticketId: string };

    // agent1 is offered it (chat is offered in real time) and accepts, as the README's reader would.
    await waitUntil(agent, `agent1 is offered ${ticketId}`, () => offered.has(ticketId));
    await call(agent, 'offer.respond', { ticketId, accept: true });
    await waitUntil(agent, `${ticketId} is agent1's`, async () => (await call(agent, 'ticket.get', { ticketId })).ticket.assigneeId === 'agent1');
    const detail = await call(agent, 'ticket.get', { ticketId });
    expect(detail.customer.name).toBe(customer.name);
    expect(detail.customerTickets).toEqual([]);
  }, 60_000);
});
