import { describe, expect, it } from 'vitest';
import { redactUrl, scrubSecrets } from '../../src/cli/redact-url.js';

/** [store URL, what may be shown, the secret text that must not appear]. */
const MASKED: [string, string, string][] = [
  ['postgres://app:hunter2@db:5432/log', 'postgres://app:***@db:5432/log', 'hunter2'],
  ['postgres://app:s3cr%40t@db:5432/log', 'postgres://app:***@db:5432/log', 's3cr'],
  ['postgres://app:p@ssw0rd@db:5432/log', 'postgres://app:***@db:5432/log', 'ssw0rd'],
  ['postgres://app:a@b@c@db/log', 'postgres://app:***@db/log', 'b@c'],
  ['postgres://app:pa%2Fss@db/log', 'postgres://app:***@db/log', 'pa%2Fss'],
  ['postgres://app:pa/ss@db/log', 'postgres://app:***@db/log', 'ss@db'],
  ['postgres://app:123/secret@db/log', 'postgres://app:***@db/log', 'secret'],
  ['postgres://app:12?secret@db/log', 'postgres://app:***@db/log', 'secret'],
  ['postgres://app:12#secret@db/log', 'postgres://app:***@db/log', 'secret'],
  ['postgres://app:p@/ss@db/log', 'postgres://app:***@db/log', 'ss'],
  ['postgresql://:onlypass@db/log', 'postgresql://:***@db/log', 'onlypass'],
  ['redis://:pw@cache:6379', 'redis://:***@cache:6379', 'pw@'],
  ['redis://default:p@ss/w0rd@cache:6379/0', 'redis://default:***@cache:6379/0', 'w0rd'],
  ['rediss://user:s%2F%40cret@cache', 'rediss://user:***@cache', 's%2F%40cret'],
  ['mysql://user:secret@db/app', 'mysql://user:***@db/app', 'secret'],
  ['postgres://db/log?password=hunter2', 'postgres://db/log?password=***', 'hunter2'],
  [
    'postgres://db/log?sslmode=require&sslpassword=keypass&application_name=x',
    'postgres://db/log?sslmode=require&sslpassword=***&application_name=x',
    'keypass',
  ],
  ['postgres://db/log?sslkey=%2Fkeys%2Fclient.key', 'postgres://db/log?sslkey=***', 'client.key'],
  ['postgres://db/log?PASSWORD=hunter2', 'postgres://db/log?PASSWORD=***', 'hunter2'],
  ['postgres://db/log?%70assword=hunter2', 'postgres://db/log?%70assword=***', 'hunter2'],
  ['postgres://db/log?pass%77ord=hunter2', 'postgres://db/log?pass%77ord=***', 'hunter2'],
  ['redis://cache?token=abc123&db=2', 'redis://cache?token=***&db=2', 'abc123'],
  ['redis://cache/0?client_secret=s3&x=1', 'redis://cache/0?client_secret=***&x=1', 's3&'],
  ['postgres://db/log?auth_token=t0k#frag', 'postgres://db/log?auth_token=***#frag', 't0k'],
  [
    'postgres://u:p@ss@db/log?password=two&user=u',
    'postgres://u:***@db/log?password=***&user=u',
    'two',
  ],
];

const UNCHANGED = [
  'postgres://app@db:5432/log',
  'postgres://db/log?sslmode=require&application_name=report',
  'redis://127.0.0.1:6379',
  'sqlite:./access-log.sqlite',
  'sqlite:///var/log/access:2025@host.sqlite',
  'access-log.sqlite',
  '',
];

describe('redactUrl', () => {
  it.each(MASKED)('masks %s', (url, shown, secret) => {
    const label = redactUrl(url);
    expect(label).toBe(shown);
    expect(label).not.toContain(secret);
  });

  it.each(UNCHANGED)('leaves %s as it is: it holds no secret', (url) => {
    expect(redactUrl(url)).toBe(url);
  });

  it('masks too much rather than too little when an @ in the query makes the userinfo ambiguous', () => {
    const label = redactUrl('postgres://app:123/x@db/log?note=a@b');
    expect(label).not.toContain('123/x');
    expect(label.startsWith('postgres://app:***@')).toBe(true);
  });
});

describe('scrubSecrets', () => {
  it('removes a password, raw or decoded, from a driver message', () => {
    const url = 'postgres://app:p%40ss/word@db/log?sslpassword=k3y%21';
    expect(scrubSecrets(url, 'failed for p@ss/word, p%40ss/word and k3y! (k3y%21)')).toBe(
      'failed for ***, *** and *** (***)',
    );
    expect(scrubSecrets('postgres://db/log', 'connect ECONNREFUSED')).toBe('connect ECONNREFUSED');
  });
});
