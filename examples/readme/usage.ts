import express from 'express';
import { presets, privacyLog } from 'express-privacy-log';

const app = express();
// Trust X-Forwarded-For only from your own proxy; with `true` any visitor chooses the logged address.
app.set('trust proxy', 'loopback');

const logger = privacyLog({ policy: presets.gdpr, secret: process.env.COOKIE_SECRET });
app.use(logger); // records every request that follows
app.use(logger.router()); // POST /privacy/opt-out and /privacy/opt-in, GET /privacy/status, /.well-known/gpc.json

app.post('/contact', express.urlencoded({ extended: false }), (req, res) => {
  // Data the visitor deliberately sent: only fields the policy declares are kept.
  // Express 5 leaves req.body undefined when a request has no body.
  const { name, email } = req.body ?? {};
  req.privacyLog?.optional({ name, email });
  res.send('Thank you');
});

const server = app.listen(process.env.PORT ?? 3000);
process.on('SIGTERM', () => {
  // Stop taking requests, then write what is buffered, close the stores and leave.
  server.close(async () => {
    await logger.close({ timeoutMs: 5000 });
    process.exit(0);
  });
});
