// A small shop site that records its access log through express-privacy-log. Plain JavaScript
// and server-rendered HTML strings, so that it runs with `node` alone after `npm run build`.
import express from 'express';
import { presets, privacyLog } from 'express-privacy-log';

const PRODUCTS = new Map([
  ['1', { name: 'Kettle', price: '24.00' }],
  ['2', { name: 'Teapot', price: '31.50' }],
  ['3', { name: 'Tea towel', price: '6.90' }],
]);

const STYLE = `
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  nav a { margin-right: 1rem; }
  form { margin: 1rem 0; }
  label { display: block; margin: .5rem 0; }
  input, textarea { font: inherit; width: 100%; box-sizing: border-box; }
  button { font: inherit; padding: .3rem 1rem; }
  dt { font-weight: bold; float: left; clear: left; width: 9rem; }
  dd { margin-left: 9rem; }
  .inline { display: inline-block; margin-right: 1rem; }
`;

/** Text for HTML: every page that shows something the visitor sent passes it through here. */
function escapeHtml(value) {
  return String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );
}

function page(title, body) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<nav><a href="/">Home</a><a href="/contact">Contact</a><a href="/privacy">Privacy</a></nav>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`;
}

/** The decision of this request, in words (shows the visitor that a choice is honoured). */
function describeDecision(decision) {
  const yesNo = (flag) => (flag ? 'yes' : 'no');
  const basis = {
    consent: 'your consent',
    'opt-out': 'no objection from you (you can object below)',
    none: 'none, so no analytics data is recorded',
  }[decision.basis];
  const choice =
    decision.choice === 'in'
      ? 'you opted in'
      : decision.choice === 'out'
        ? 'you opted out'
        : 'none recorded';
  return `<dl>
<dt>Analytics</dt><dd>${decision.analytics ? 'on' : 'off'}</dd>
<dt>Basis</dt><dd>${escapeHtml(basis)}</dd>
<dt>GPC seen</dt><dd>${yesNo(decision.gpc)}</dd>
<dt>DNT seen</dt><dd>${yesNo(decision.dnt)}</dd>
<dt>Your choice</dt><dd>${escapeHtml(choice)}</dd>
<dt>Recorded</dt><dd>${escapeHtml(decision.categories.join(', '))}</dd>
<dt>Policy</dt><dd>${escapeHtml(decision.policy)}</dd>
</dl>`;
}

/**
 * Build the example site.
 *
 * @param {object} [options]
 * @param {object | object[]} [options.store] where records go; default the embedded SQLite file
 *   `./access-log.sqlite` in the current directory
 * @param {string | string[]} [options.secret] signs the analytics cookie (32 or more random characters)
 * @param {object} [options.policy] a preset or a `definePolicy()` result; default `presets.gdpr`
 * @returns {{ app: import('express').Express, logger: ReturnType<typeof privacyLog> }}
 */
export function createApp({ store, secret, policy = presets.gdpr, ...otherOptions } = {}) {
  const logger = privacyLog({
    ...otherOptions,
    policy,
    ...(store === undefined ? {} : { store }),
    ...(secret === undefined ? {} : { secret }),
  });

  const app = express();
  // Trust X-Forwarded-For only from a reverse proxy on this machine. With `true`, any visitor
  // could send X-Forwarded-For and choose the address that is logged (the library warns about it);
  // behind a proxy elsewhere, list that proxy's address instead.
  app.set('trust proxy', 'loopback');
  app.disable('x-powered-by');

  app.use(logger);
  // POST /privacy/opt-out and /privacy/opt-in, GET /privacy/status and /.well-known/gpc.json.
  // The notice at /privacy/notice names who answers for the log and how to reach them.
  app.use(
    logger.router({
      notice: {
        site: 'Example shop',
        controller: 'Example Shop Ltd, 1 Example Street, 75001 Paris, France',
        contact: 'privacy@shop.example',
      },
    }),
  );

  // The traffic dashboard for the site owner, at /stats. DEMO PASSWORD ONLY: user "owner",
  // password from STATS_PASSWORD, else "demo". Use your own authentication in production.
  const statsPassword = process.env.STATS_PASSWORD || 'demo';
  const expected = `Basic ${Buffer.from(`owner:${statsPassword}`).toString('base64')}`;
  app.use(
    '/stats',
    logger.dashboard({
      authorize: (req) => req.get('authorization') === expected,
      challenge: 'Basic realm="traffic", charset="UTF-8"',
    }),
  );

  app.get('/', (_req, res) => {
    const links = [...PRODUCTS]
      .map(([id, p]) => `<li><a href="/products/${id}">${escapeHtml(p.name)}</a></li>`)
      .join('\n');
    res.send(
      page(
        'Example shop',
        `<p>Every page you open here is recorded in the access log, but only as far as the
privacy policy and your choices allow.</p>
<h2>Products</h2>
<ul>
${links}
</ul>
<p><a href="/contact">Write to us</a> · <a href="/privacy">What is recorded about you</a></p>`,
      ),
    );
  });

  app.get('/products/:id', (req, res) => {
    const product = PRODUCTS.get(req.params.id);
    if (product === undefined) {
      res.status(404).send(page('Not found', '<p>There is no such product.</p>'));
      return;
    }
    res.send(
      page(
        product.name,
        `<p>Price: €${escapeHtml(product.price)}</p><p><a href="/">Back to all products</a></p>`,
      ),
    );
  });

  app.get('/contact', (_req, res) => {
    res.send(
      page(
        'Contact',
        `<form method="post" action="/contact">
<label>Name <input name="name" autocomplete="name"></label>
<label>E-mail <input name="email" type="email" autocomplete="email"></label>
<label>Message <textarea name="message" rows="5"></textarea></label>
<button>Send</button>
</form>
<p>Your name and e-mail address are added to this request's access record only if you have
allowed it on the <a href="/privacy">privacy page</a>, and never after an objection (opt-out,
Global Privacy Control or Do Not Track). Your message is not.</p>`,
      ),
    );
  });

  app.post('/contact', express.urlencoded({ extended: false, limit: '20kb' }), (req, res) => {
    const { name, email } = req.body ?? {};
    // Only what the visitor deliberately sent, and only the fields the policy declares, are kept.
    const kept = req.privacyLog?.optional({ name, email }) ?? [];
    const note =
      kept.length > 0
        ? `Recorded with this request: ${escapeHtml(kept.join(', '))}.`
        : 'Nothing you sent was added to the access log.';
    res.send(page('Thank you', `<p>We will answer soon.</p><p>${note}</p>`));
  });

  app.get('/privacy', (req, res) => {
    const decision = req.privacyLog?.decision;
    res.set('Cache-Control', 'no-store');
    res.send(
      page(
        'Privacy',
        `<h2>This request</h2>
${decision ? describeDecision(decision) : '<p>No decision available.</p>'}
<h2>Your choice</h2>
<form class="inline" method="post" action="/privacy/opt-out"><button>Opt out of analytics</button></form>
<form class="inline" method="post" action="/privacy/opt-in"><button>Allow analytics</button></form>
<form class="inline" method="post" action="/privacy/opt-out?erase=1"><button>Opt out and erase what was recorded</button></form>
<p>Machine-readable: <a href="/privacy/status">/privacy/status</a> ·
<a href="/.well-known/gpc.json">/.well-known/gpc.json</a></p>`,
      ),
    );
  });

  return { app, logger };
}
