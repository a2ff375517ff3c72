import express5, { type Express, type NextFunction, type Request, type Response } from 'express';
import express4 from 'express4';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryStore, type PrivacyLogMiddleware, presets, privacyLog } from '../../src/index.js';
import { SECRET, setCookies, spyLogger } from '../helpers/app.js';
import { consentCookie } from '../helpers/consent.js';

/**
 * A slice of Express's documented behaviour, run on a bare app and on the same app with the
 * middleware installed, under every preset and on both Express majors. The app must see its own
 * response exactly as it wrote it: same status, same headers, same body, its `Set-Cookie` lines
 * first and unchanged; the library's cookie comes after them, and only where the policy sets one.
 */

type Preset = keyof typeof presets;
type Reply = Awaited<ReturnType<ReturnType<typeof request>['get']>>;

const EXPRESSES = [
  ['Express 5', express5],
  ['Express 4', express4],
] as const;

/** Whether the preset gives a visitor who made no choice and sent no signal an analytics cookie. */
const COOKIE_BY_DEFAULT: Record<Preset, boolean> = {
  classic: true,
  gdpr: false,
  ccpa: true,
  cnil: true,
  cookieless: false,
  strict: false,
};
/** Whether the preset gives a visitor who consented (`pl_choice=in`) an analytics cookie. */
const COOKIE_WITH_CONSENT: Record<Preset, boolean> = {
  classic: true,
  gdpr: true,
  ccpa: true,
  cnil: true,
  cookieless: false,
  strict: false,
};

const LIBRARY_COOKIE = /^(__Host-)?pl_(vid|choice)=/;
const isLibraryCookie = (line: string) => LIBRARY_COOKIE.test(line);

/** An error with an HTTP status, as the error handler below and finalhandler read it. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The routes of the slice: each uses one documented response API. */
function addRoutes(app: Express): void {
  app.get('/cookies', (_req, res) => {
    res.cookie('name', 'tobi');
    res.cookie('prefs', { theme: 'dark' });
    res.cookie('lang', 'en', { httpOnly: true, sameSite: 'strict' });
    res.clearCookie('old');
    res.send('cookies');
  });
  app.get('/append', (_req, res) => {
    res.set('Set-Cookie', 'foo=bar');
    res.append('Set-Cookie', ['fizz=buzz', 'pet=tobi']);
    res.append('Set-Cookie', 'last=one');
    res.end();
  });
  app.get('/reset', (_req, res, next) => {
    res.append('Set-Cookie', 'foo=bar');
    res.append('Set-Cookie', 'fizz=buzz');
    next();
  });
  app.get('/reset', (_req, res) => {
    // `res.set` replaces every Set-Cookie the app appended before.
    res.set('Set-Cookie', 'pet=tobi');
    res.end();
  });
  app.get('/login', (_req, res) => {
    res.cookie('sid', 'session-42', { httpOnly: true });
    res.send('logged in');
  });
  app.get('/me', (req, res) => {
    const sid = /(?:^|;\s*)sid=([^;]*)/.exec(req.headers.cookie ?? '')?.[1];
    if (sid === undefined) res.status(401).send('who are you?');
    else res.send(`you are ${sid}`);
  });
  app.get('/tobi', (_req, res) => {
    res.cookie('seen', '1');
    res.send('tobi');
  });
  app.get('/old', (_req, res) => {
    res.redirect('/new');
  });
  app.get('/moved', (_req, res) => {
    res.cookie('from', 'moved');
    res.redirect(301, '/elsewhere');
  });
  app.get('/format', (_req, res) => {
    res.format({
      'application/json': () => res.json({ format: 'json' }),
      'text/html': () => res.send('<p>html</p>'),
    });
  });
  app.get('/text', (_req, res) => {
    res.send('hello');
  });
  app.get('/buffer', (_req, res) => {
    res.send(Buffer.from('bytes'));
  });
  app.get('/json', (_req, res) => {
    res.json({ a: 1, list: [1, 2] });
  });
  app.get('/status', (_req, res) => {
    res.sendStatus(201);
  });
  app.get('/etag', (_req, res) => {
    res.cookie('etag', 'seen');
    res.send('a body with an etag');
  });
  app.get('/handled', (_req, _res, next) => {
    next(new HttpError(418, 'short and stout'));
  });
  app.get('/thrown', (_req, res) => {
    res.cookie('before', 'error');
    throw new HttpError(503, 'down');
  });
  app.get('/write-head', (_req, res) => {
    res.cookie('early', '1');
    // Headers passed to writeHead are merged over those set before, replacing a Set-Cookie.
    res.writeHead(200, { 'Set-Cookie': ['w=1', 'w2=2'], 'Content-Type': 'text/plain' });
    res.end('written');
  });
  app.get('/write-head-array', (_req, res) => {
    res.writeHead(202, ['Set-Cookie', 'raw=1', 'Content-Type', 'text/plain']);
    res.end('raw');
  });
  app.get('/end', (_req, res) => {
    res.setHeader('Set-Cookie', 'plain=1');
    res.end();
  });
  app.get('/stream', (_req, res) => {
    res.type('text');
    res.cookie('streamed', 'yes');
    res.write('one,');
    res.write('two,');
    res.end('three');
  });
  app.use('/handled', (err: HttpError, _req: Request, res: Response, _next: NextFunction) => {
    res.cookie('error', 'handled');
    res.status(err.status).json({ error: err.message });
  });
  // Every other error but the one left to Express's default handler: that one writes a stack
  // trace outside production, which differs with one more middleware on the stack.
  app.use((err: HttpError, req: Request, res: Response, next: NextFunction) => {
    if (req.path === '/thrown') next(err);
    else res.status(err.status).send(err.message);
  });
}

function makeApp(createExpress: () => Express, preset?: Preset) {
  const app = createExpress();
  app.set('trust proxy', 'loopback');
  let log: PrivacyLogMiddleware | undefined;
  if (preset !== undefined) {
    log = privacyLog({
      policy: presets[preset],
      store: new MemoryStore(),
      secret: SECRET,
      logger: spyLogger(),
      warnings: false,
    });
    app.use(log);
    app.use(log.router());
  }
  addRoutes(app);
  return { app, log };
}

/** The headers an app controls: all but Date (a clock) and Set-Cookie (compared line by line). */
function appHeaders(res: Reply): Record<string, unknown> {
  const { date: _date, 'set-cookie': _cookies, ...rest } = res.headers as Record<string, unknown>;
  return rest;
}

describe.each(EXPRESSES)('%s', (_name, createExpress) => {
  const bare = makeApp(createExpress).app;

  describe.each(Object.keys(presets) as Preset[])('with presets.%s', (preset) => {
    const { app, log } = makeApp(createExpress, preset);
    afterAll(() => log?.close());
    const byDefault = COOKIE_BY_DEFAULT[preset] ? 1 : 0;

    /**
     * Send the same request to the bare app and to the logged one, and check that the app's own
     * answer is untouched: the library adds `added` Set-Cookie lines after the app's, nothing else.
     */
    async function same(
      send: (agent: ReturnType<typeof request>) => PromiseLike<Reply>,
      added = byDefault,
    ): Promise<{ own: string[]; library: string[]; reply: Reply }> {
      const expected = await send(request(bare));
      const reply = await send(request(app));
      expect(reply.status).toBe(expected.status);
      expect(appHeaders(reply)).toEqual(appHeaders(expected));
      expect(reply.text ?? '').toBe(expected.text ?? '');
      const own = setCookies(expected);
      const lines = setCookies(reply);
      expect(lines.slice(0, own.length)).toEqual(own);
      const library = lines.slice(own.length);
      expect(library.every(isLibraryCookie), library.join('\n')).toBe(true);
      expect(library).toHaveLength(added);
      return { own, library, reply };
    }

    it('res.cookie and res.clearCookie: the app’s lines first, as Express writes them', async () => {
      const { own, library } = await same((agent) => agent.get('/cookies'));
      expect(own).toEqual([
        'name=tobi; Path=/',
        `prefs=${encodeURIComponent('j:{"theme":"dark"}')}; Path=/`,
        'lang=en; Path=/; HttpOnly; SameSite=Strict',
        'old=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT',
      ]);
      if (byDefault) expect(library[0]).toMatch(/^pl_vid=s%3A[\w-]{22}\./);
    });

    it('res.append and res.set: the app’s lines in its order, the library’s after', async () => {
      const appended = await same((agent) => agent.get('/append'));
      expect(appended.own).toEqual(['foo=bar', 'fizz=buzz', 'pet=tobi', 'last=one']);
      // A reset by res.set removes what the app appended before, never the library's cookie.
      const reset = await same((agent) => agent.get('/reset'));
      expect(reset.own).toEqual(['pet=tobi']);
    });

    it('an app that reads set-cookie[0] finds its own session cookie', async () => {
      const login = await request(app).get('/login');
      const first = setCookies(login)[0]!;
      expect(first).toBe('sid=session-42; Path=/; HttpOnly');
      const me = await request(app).get('/me').set('Cookie', first.split(';')[0]!);
      expect(me.status).toBe(200);
      expect(me.text).toBe('you are session-42');
    });

    it('HEAD answers the headers of GET, without a visitor id for a visitor it has not seen', async () => {
      const head = await same((agent) => agent.head('/tobi'), 0);
      const get = await same((agent) => agent.get('/tobi'));
      expect(appHeaders(head.reply)).toEqual(appHeaders(get.reply));
      expect(head.own).toEqual(get.own);
      expect(head.own).toEqual(['seen=1; Path=/']);
      if (!byDefault) return;
      // A returning visitor carries its cookie: HEAD and GET answer exactly the same headers.
      const cookie = get.library[0]!.split(';')[0]!;
      const again = await same((agent) => agent.head('/tobi').set('Cookie', cookie), 0);
      const page = await same((agent) => agent.get('/tobi').set('Cookie', cookie), 0);
      expect(appHeaders(again.reply)).toEqual(appHeaders(page.reply));
      expect(setCookies(again.reply)).toEqual(setCookies(page.reply));
    });

    it('redirects keep their status, Location and body', async () => {
      const found = await same((agent) => agent.get('/old'));
      expect(found.reply.status).toBe(302);
      expect(found.reply.headers.location).toBe('/new');
      const moved = await same((agent) => agent.get('/moved'));
      expect(moved.reply.status).toBe(301);
      expect(moved.own).toEqual(['from=moved; Path=/']);
    });

    it('res.format answers by Accept, with Vary, and 406 when nothing fits', async () => {
      const json = await same((agent) => agent.get('/format').set('Accept', 'application/json'));
      expect(json.reply.body).toEqual({ format: 'json' });
      expect(json.reply.headers.vary).toMatch(/Accept/);
      const html = await same((agent) => agent.get('/format').set('Accept', 'text/html'));
      expect(html.reply.text).toBe('<p>html</p>');
      const none = await same((agent) => agent.get('/format').set('Accept', 'image/png'));
      expect(none.reply.status).toBe(406);
    });

    it('res.send of a string, a Buffer and JSON, res.json and res.sendStatus', async () => {
      const text = await same((agent) => agent.get('/text'));
      expect(text.reply.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(text.reply.headers.etag).toBeDefined();
      const buffer = await same((agent) => agent.get('/buffer'));
      expect(buffer.reply.headers['content-type']).toBe('application/octet-stream');
      const json = await same((agent) => agent.get('/json'));
      expect(json.reply.headers['content-type']).toBe('application/json; charset=utf-8');
      const status = await same((agent) => agent.get('/status'));
      expect(status.reply.status).toBe(201);
      expect(status.reply.text).toBe('Created');
    });

    it('a fresh ETag answers 304 without a body, keeping the app’s cookie first', async () => {
      const etag = (await request(bare).get('/etag')).headers.etag as string;
      const fresh = await same((agent) => agent.get('/etag').set('If-None-Match', etag));
      expect(fresh.reply.status).toBe(304);
      expect(fresh.reply.text ?? '').toBe('');
      expect(fresh.own).toEqual(['etag=seen; Path=/']);
    });

    it('errors reach the app’s error handler and the default one unchanged', async () => {
      const handled = await same((agent) => agent.get('/handled'));
      expect(handled.reply.status).toBe(418);
      expect(handled.reply.body).toEqual({ error: 'short and stout' });
      expect(handled.own).toEqual(['error=handled; Path=/']);
      // The default handler's page shows a stack trace outside production, which differs with
      // the middleware on the stack: compare what the app controls.
      const expected = await request(bare).get('/thrown');
      const reply = await request(app).get('/thrown');
      expect(reply.status).toBe(503);
      expect(expected.status).toBe(503);
      expect(setCookies(reply).slice(0, 1)).toEqual(['before=error; Path=/']);
      expect(setCookies(reply).slice(1).every(isLibraryCookie)).toBe(true);
      expect(setCookies(reply)).toHaveLength(1 + byDefault);
    });

    it('res.writeHead with headers, res.end without writeHead, and streaming', async () => {
      const head = await same((agent) => agent.get('/write-head'));
      expect(head.own).toEqual(['w=1', 'w2=2']);
      const raw = await same((agent) => agent.get('/write-head-array'));
      expect(raw.reply.status).toBe(202);
      expect(raw.own).toEqual(['raw=1']);
      const end = await same((agent) => agent.get('/end'));
      expect(end.own).toEqual(['plain=1']);
      const stream = await same((agent) => agent.get('/stream'));
      expect(stream.reply.text).toBe('one,two,three');
      expect(stream.own).toEqual(['streamed=yes; Path=/']);
    });

    it('a visitor who consented, or who objects, gets the library’s line after the app’s', async () => {
      const consent = COOKIE_WITH_CONSENT[preset] ? 1 : 0;
      const consented = await same(
        (agent) => agent.get('/cookies').set('Cookie', consentCookie()),
        consent,
      );
      if (consent) expect(consented.library[0]).toMatch(/^pl_vid=s%3A/);
      // An objecting visitor's analytics cookie is expired (under every preset: those without
      // one expire a leftover), after the app's own lines.
      const objecting = await same(
        (agent) => agent.get('/cookies').set('Cookie', 'pl_vid=whatever').set('Sec-GPC', '1'),
        1,
      );
      expect(objecting.library[0]).toMatch(/^pl_vid=; Max-Age=0;/);
    });
  });
});
