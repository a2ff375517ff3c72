import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Just what the cookie jar reads of a request and writes to a response; `setCookies` writes the
 * headers first, as the jar's lines go out with them, and returns the Set-Cookie lines.
 */
export function exchange(cookie: string | undefined, method = 'GET') {
  const headers = new Map<string, string | string[]>();
  const req = { method, headers: cookie === undefined ? {} : { cookie } } as IncomingMessage;
  const res = {
    req,
    headersSent: false,
    getHeader: (name: string) => headers.get(name.toLowerCase()),
    setHeader: (name: string, value: string | string[]) => headers.set(name.toLowerCase(), value),
    writeHead(this: { headersSent: boolean }) {
      this.headersSent = true;
      return this;
    },
  } as unknown as ServerResponse;
  return {
    req,
    res,
    setCookies: () => {
      if (!res.headersSent) res.writeHead(200);
      return [headers.get('set-cookie') ?? []].flat();
    },
  };
}
