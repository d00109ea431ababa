/**
 * Attachments in agents' replies (issue 12) on both backends, over the real HTTP API and
 * sockets: the upload (idempotent under the client's id, limits enforced by the server), the
 * reply that sends it, the visitor's signed download link, and who may download what.
 */
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ATTACHMENT_LIMITS } from '../shared/attachments.js';
import type { ApiErrorBody, UploadResponse } from '../shared/httpApi.js';
import { workstationHandshakeAuth, type Ack, type ClientToServerEvents, type Mutation, type PushResult, type ServerToClientEvents } from '../shared/sync.js';
import type { WebchatAck, WebchatMessage, WebchatSent, WebchatWelcome } from '../shared/webchat.js';
import { TEST_BACKENDS, login, seedTestOrganisation, startTestServer, testWebchatChannel, type TestServer } from './testHarness.js';

type AgentSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

let t: TestServer | null = null;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.disconnect();
  await t?.stop();
  t = null;
});

async function connected<S extends Socket>(socket: S): Promise<S> {
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

async function visitorCall<T>(socket: Socket, event: string, payload: unknown): Promise<T> {
  const ack = (await socket.timeout(5_000).emitWithAck(event, payload)) as WebchatAck<T>;
  if (!ack.ok) throw new Error(`${event} refused: ${ack.error.code}`);
  return ack.result;
}

function put(server: TestServer, id: string, token: string | null, fileName: string, body: Buffer, contentType = 'application/pdf'): Promise<Response> {
  return fetch(`${server.url}/api/v1/uploads/${id}`, {
    method: 'PUT',
    headers: { 'content-type': contentType, 'x-file-name': encodeURIComponent(fileName), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
}

function reply(ticketId: string, messageId: string, attachments: NonNullable<Extract<Mutation, { kind: 'reply' }>['attachments']>): Mutation {
  return { mutationId: `mut-${messageId}`, kind: 'reply', ticketId, messageId, text: '发票已附上，请查收', createdAt: t!.clock.now(), attachments };
}

for (const backend of TEST_BACKENDS) {
  describe(`reply attachments on ${backend}`, () => {
    it('uploads once, sends with the reply, and only the conversation’s visitor and agents who see the ticket download it', async () => {
      t = await startTestServer({ backend, tokenTtlMs: 48 * 60 * 60 * 1000, routing: { autoAccept: true }, channels: [testWebchatChannel()] });
      const server = t;
      await seedTestOrganisation(server.store, [
        { username: 'agent1', displayName: '王芳', channels: ['chat'] },
        { username: 'agent2', displayName: '张强', channels: ['phone'] },
      ]);
      const agent1 = await login(server.url, 'agent1');
      const agent2 = await login(server.url, 'agent2');
      const desk = await connected<AgentSocket>(
        connect(server.url, { auth: workstationHandshakeAuth(agent1.token, 'desk-1'), transports: ['websocket'], reconnection: false, forceNew: true }),
      );
      const openVisitor = (visitorId: string) =>
        connected(
          connect(`${server.url}/webchat`, {
            auth: { site: 'demo', visitorId },
            transports: ['websocket'],
            reconnection: false,
            forceNew: true,
            extraHeaders: { origin: server.url },
          }),
        );
      const visitorA = await openVisitor('visitor-aaaaaa-111111');
      await visitorCall<WebchatWelcome>(visitorA, 'webchat:hello', {});
      const sent = await visitorCall<WebchatSent>(visitorA, 'webchat:send', { clientMessageId: 'cmsg-0001', text: '请把发票发给我' });
      const visitorB = await openVisitor('visitor-bbbbbb-222222');
      await visitorCall<WebchatWelcome>(visitorB, 'webchat:hello', {});

      // The upload: stored once under the client's id; the same bytes again are the same file.
      const bytes = Buffer.from('%PDF-1.4 发票 2024-11-08\n', 'utf8');
      const first = await put(server, 'upload-0001', agent1.token, '发票.pdf', bytes);
      expect(first.status).toBe(201);
      expect(((await first.json()) as UploadResponse).attachment).toEqual({
        id: 'upload-0001',
        fileName: '发票.pdf',
        contentType: 'application/pdf',
        size: bytes.length,
      });
      const again = await put(server, 'upload-0001', agent1.token, '发票.pdf', bytes);
      expect(again.status).toBe(200);
      expect(((await again.json()) as UploadResponse).created).toBe(false);
      // Another user's id, or other bytes under it, is a conflict; nobody signed in is 401.
      expect((await put(server, 'upload-0001', agent2.token, '发票.pdf', bytes)).status).toBe(409);
      expect((await put(server, 'upload-0001', agent1.token, '发票.pdf', Buffer.from('other'))).status).toBe(409);
      expect((await put(server, 'upload-0002', null, '发票.pdf', bytes)).status).toBe(401);

      // The server's own limits, whatever the client checked: too large (refused before the body is read), a dangerous type, empty.
      const refusal = async (response: Response) => ({ status: response.status, body: ((await response.json()) as ApiErrorBody).error });
      expect(await refusal(await put(server, 'upload-big', agent1.token, 'scan.pdf', Buffer.alloc(ATTACHMENT_LIMITS.maxFileBytes + 1, 1)))).toMatchObject({
        status: 413,
        body: { code: 'attachment_refused', refusal: { code: 'attachment_too_large', fileName: 'scan.pdf', limit: ATTACHMENT_LIMITS.maxFileBytes } },
      });
      expect(await refusal(await put(server, 'upload-exe', agent1.token, 'setup.exe', bytes, 'application/octet-stream'))).toMatchObject({
        status: 415,
        body: { code: 'attachment_refused', refusal: { code: 'attachment_type_denied' } },
      });
      expect(await refusal(await put(server, 'upload-svg', agent1.token, 'logo.png', bytes, 'image/svg+xml'))).toMatchObject({
        status: 415,
        body: { refusal: { code: 'attachment_type_denied' } },
      });
      expect((await refusal(await put(server, 'upload-empty', agent1.token, 'empty.pdf', Buffer.alloc(0)))).body.refusal?.code).toBe('attachment_empty');
      expect((await put(server, 'upload-path', agent1.token, '../../etc/passwd', bytes)).status).toBe(400);
      expect(await server.store.sql.all('SELECT id FROM reply_uploads ORDER BY id')).toEqual([{ id: 'upload-0001' }]);

      const push = (mutations: Mutation[]) => desk.timeout(5_000).emitWithAck('sync:push', { mutations }) as Promise<Ack<PushResult>>;
      // A reply naming a file nobody uploaded, or one that is not this agent's, is refused: the text is not sent without it.
      const agent2Upload = await put(server, 'upload-of-agent2', agent2.token, 'x.pdf', bytes);
      expect(agent2Upload.status).toBe(201);
      for (const id of ['upload-missing', 'upload-of-agent2']) {
        const ack = await push([reply(sent.ticketId, `msg-${id}`, [{ id, fileName: 'x.pdf', contentType: 'application/pdf', size: 10 }])]);
        expect(ack).toMatchObject({ ok: true, result: { results: [{ ok: false, refusal: { code: 'attachment_refused', reason: 'attachment_unknown' } }] } });
      }

      // The reply: the stored name, type and size count (the client said 1 byte), and the visitor's widget gets a signed link.
      const arrived = new Promise<WebchatMessage>((resolve) => visitorA.once('webchat:message', (message: WebchatMessage) => resolve(message)));
      const ack = await push([
        reply(sent.ticketId, 'msg-with-file', [{ id: 'upload-0001', fileName: 'renamed.pdf', contentType: 'application/pdf', size: 1 }]),
      ]);
      expect(ack).toMatchObject({ ok: true, result: { results: [{ ok: true }] } });
      const stored = (await server.store.getTicketBundle(sent.ticketId))!.messages.find((m) => m.id === 'msg-with-file')!;
      expect(stored.attachments).toEqual([{ id: 'upload-0001', fileName: '发票.pdf', contentType: 'application/pdf', size: bytes.length }]);
      expect(await server.store.sql.all("SELECT id FROM reply_uploads WHERE id = 'upload-0001'")).toEqual([]);
      const message = await arrived;
      expect(message.attachments).toMatchObject([{ id: 'upload-0001', fileName: '发票.pdf', size: bytes.length, thumbnail: false }]);
      const link = new URL(message.attachments![0]!.url);

      const download = await fetch(link);
      expect(download.status).toBe(200);
      expect(download.headers.get('content-disposition')).toBe(`attachment; filename*=UTF-8''${encodeURIComponent('发票.pdf')}`);
      expect(download.headers.get('x-content-type-options')).toBe('nosniff');
      expect(Buffer.from(await download.arrayBuffer())).toEqual(bytes);

      // Abuse: the link re-pointed at another visitor, altered, expired, or with no signature, is refused.
      const withParam = (name: string, value: string | null) => {
        const changed = new URL(link);
        if (value === null) changed.searchParams.delete(name);
        else changed.searchParams.set(name, value);
        return fetch(changed).then((response) => response.status);
      };
      expect(await withParam('v', 'webchat:demo:visitor-bbbbbb-222222')).toBe(403);
      expect(await withParam('s', 'x'.repeat(43))).toBe(403);
      expect(await withParam('s', null)).toBe(403);
      expect(await withParam('e', String(Number(link.searchParams.get('e')) + 1))).toBe(403);
      expect((await fetch(`${server.url}/chat/files/upload-0001`)).status).toBe(403);
      server.clock.advance(13 * 60 * 60 * 1000);
      expect((await fetch(link)).status).toBe(403);
      // Visitor B's fresh links never include A's file: B's history has none.
      const welcomeB = await visitorCall<WebchatWelcome>(visitorB, 'webchat:hello', {});
      expect(welcomeB.history.flatMap((m) => m.attachments ?? [])).toEqual([]);
      // A returning A gets a fresh link that works again.
      const welcomeA = await visitorCall<WebchatWelcome>(visitorA, 'webchat:hello', {});
      const fresh = welcomeA.history.flatMap((m) => m.attachments ?? [])[0]!;
      expect((await fetch(fresh.url)).status).toBe(200);

      // Agents: one who sees the ticket downloads it (as bytes, never a page); one who may not gets 404, nobody signed in 401.
      const asAgent = (token: string | null) =>
        fetch(`${server.url}/api/v1/attachments/upload-0001`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
      const own = await asAgent(agent1.token);
      expect(own.status).toBe(200);
      expect(own.headers.get('content-type')).toBe('application/pdf');
      expect((await asAgent(agent2.token)).status).toBe(404);
      expect((await asAgent(null)).status).toBe(401);

      // The same upload id again after it was sent is a conflict, not a second file.
      expect((await put(server, 'upload-0001', agent1.token, '发票.pdf', bytes)).status).toBe(409);
    });

    it('refuses a user more unsent files than the quota, counts each user apart, and frees the room when a reply sends them', async () => {
      t = await startTestServer({ backend, routing: { autoAccept: true }, channels: [testWebchatChannel()] });
      const server = t;
      await seedTestOrganisation(server.store, [
        { username: 'agent1', displayName: '王芳', channels: ['chat'] },
        { username: 'agent2', displayName: '张强', channels: ['chat'] },
      ]);
      const agent1 = await login(server.url, 'agent1');
      const agent2 = await login(server.url, 'agent2');
      // A client uploading files no reply ever names (a runaway script, a stuck composer) fills its quota and stops there.
      const fullFile = Buffer.alloc(ATTACHMENT_LIMITS.maxFileBytes, 7);
      const fits = Math.floor(ATTACHMENT_LIMITS.maxPendingBytes / fullFile.length);
      for (let i = 0; i < fits; i++) expect((await put(server, `fill-${String(i)}`, agent1.token, `扫描件${String(i)}.pdf`, fullFile)).status).toBe(201);
      const over = await put(server, 'fill-over', agent1.token, '扫描件.pdf', fullFile);
      expect(over.status).toBe(413);
      expect(((await over.json()) as ApiErrorBody).error).toMatchObject({
        code: 'attachment_refused',
        refusal: { code: 'uploads_over_quota', fileName: '扫描件.pdf', limit: ATTACHMENT_LIMITS.maxPendingBytes },
      });
      // A retry of a file already stored is not a new one; another agent has their own room.
      expect((await put(server, 'fill-0', agent1.token, '扫描件0.pdf', fullFile)).status).toBe(200);
      expect((await put(server, 'other-agent', agent2.token, '发票.pdf', fullFile)).status).toBe(201);
      expect(Number((await server.store.sql.get<{ n: number | string }>("SELECT count(*) AS n FROM reply_uploads WHERE user_id = 'agent1'"))?.n)).toBe(fits);

      // Sending a reply with one of the files makes room for the next.
      const desk = await connected<AgentSocket>(
        connect(server.url, { auth: workstationHandshakeAuth(agent1.token, 'desk-quota'), transports: ['websocket'], reconnection: false, forceNew: true }),
      );
      const visitor = await connected(
        connect(`${server.url}/webchat`, {
          auth: { site: 'demo', visitorId: 'visitor-quota-000001' },
          transports: ['websocket'],
          reconnection: false,
          forceNew: true,
          extraHeaders: { origin: server.url },
        }),
      );
      await visitorCall<WebchatWelcome>(visitor, 'webchat:hello', {});
      const sent = await visitorCall<WebchatSent>(visitor, 'webchat:send', { clientMessageId: 'cmsg-quota-1', text: '合同扫描件收到了吗？' });
      const ack = (await desk.timeout(5_000).emitWithAck('sync:push', {
        mutations: [reply(sent.ticketId, 'msg-quota', [{ id: 'fill-0', fileName: '扫描件0.pdf', contentType: 'application/pdf', size: fullFile.length }])],
      })) as Ack<PushResult>;
      expect(ack).toMatchObject({ ok: true, result: { results: [{ ok: true }] } });
      expect((await put(server, 'fill-after', agent1.token, '扫描件.pdf', fullFile)).status).toBe(201);
    });
  });
}
