/**
 * `fetch` to our server, sent a second time when the connection it went out on was closed
 * before any answer came. undici keeps a connection to the server open between requests and
 * drops it when the server's keep-alive timeout (5 s) says so, by a timer in this process. When
 * this process was busy past that moment (a bootstrap's pages, an index rebuild), the next
 * request still leaves on the connection the server has closed and fails with "other side
 * closed": the agent would read "cannot reach the server" while it is up. The second try opens
 * a fresh connection. Only that failure is retried, once; every call going through here may be
 * repeated (sign-in issues a second token at worst, sign-out and uploads name what they act
 * on, the rest are reads).
 */
export async function fetchFromServer(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    if (!closedBeforeAnswer(error) || init.signal?.aborted === true) throw error;
    return fetch(url, init);
  }
}

function closedBeforeAnswer(error: unknown): boolean {
  return error instanceof TypeError && (error.cause as { code?: unknown } | undefined)?.code === 'UND_ERR_SOCKET';
}
