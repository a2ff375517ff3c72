/**
 * Each collection statement of the seed policy (a website privacy policy archived in 2012) and the
 * setting of `presets.classic` that carries it out. docs/seed-mapping.md shows the same table; the
 * test beside this file checks that the preset really has each value.
 */
export interface SeedRow {
  statement: string;
  /** Dotted path into presets.classic. */
  setting: string;
  value: unknown;
}

export const SEED_MAPPING: readonly SeedRow[] = [
  {
    statement: 'Client information: ... GeoIP information',
    setting: 'categories.client.geo',
    value: 'city',
  },
  {
    statement: 'Client information: the Internet domain ...',
    setting: 'categories.client.domain',
    value: true,
  },
  {
    statement: 'Client information: ... registered company ...',
    setting: 'categories.client.company',
    value: true,
  },
  {
    statement: 'Client information: ... Internet address of the computer you are using',
    setting: 'categories.client.ip.mode',
    value: 'full',
  },
  {
    statement: 'Client information is used to route the requested web page to your computer',
    setting: 'categories.client.basis',
    value: 'legitimate-interests',
  },
  {
    statement: 'We may keep client information from our systems indefinitely',
    setting: 'categories.client.retention',
    value: 'forever',
  },
  {
    statement:
      'Essential technical information: identification of the page or service you are requesting',
    setting: 'categories.essential.query.allow',
    value: [],
  },
  {
    statement:
      'Essential technical information: ... type of browser and operating system you are using',
    setting: 'categories.essential.userAgent',
    value: 'parsed',
  },
  {
    statement:
      'our web site will not work without routing information and the essential technical information',
    setting: 'categories.essential.basis',
    value: 'legitimate-interests',
  },
  {
    statement:
      'Nonessential technical information: the Internet address of the web site from which you linked directly',
    setting: 'categories.nonessential.referrer',
    value: 'full',
  },
  {
    statement: 'Nonessential technical information: ... the "cookie information" described below',
    setting: 'categories.nonessential.visitor',
    value: 'cookie',
  },
  {
    statement:
      'Failure of your browser to provide nonessential technical information will not prevent your use of our web site',
    setting: 'categories.nonessential.basis',
    value: 'legitimate-interests',
  },
  {
    statement:
      'The aggregate information collected permits us to analyze traffic patterns on our site',
    setting: 'categories.nonessential.purposes.1',
    value: 'Analyse traffic patterns',
  },
  {
    statement: 'we can use the cookies to identify your computer',
    setting: 'cookie.name',
    value: 'pl_vid',
  },
  {
    statement:
      'No other information is collected ... except when you deliberately decide to send it to us',
    setting: 'categories.optional.basis',
    value: 'legitimate-interests',
  },
  {
    statement:
      'When you send us an e-mail: your name, e-mail address, and the content of your e-mail',
    setting: 'categories.optional.fields',
    value: ['name', 'email', 'message', 'form'],
  },
  {
    statement:
      'When responding to online forms or polls ...: Any Information entered into these forms',
    setting: 'categories.optional.fields.3',
    value: 'form',
  },
  {
    statement: 'logs of access information are collected to permit a security investigation',
    setting: 'categories.security.purposes.0',
    value: 'Investigate attempts to breach computer security',
  },
  {
    statement:
      'may be forwarded together with any other relevant information in our possession to law enforcement agencies',
    setting: 'categories.security.purposes.1',
    value: 'Forward to law enforcement agencies when needed',
  },
  {
    statement:
      '(not in the 2012 text) Global Privacy Control and Do Not Track are honoured as an objection',
    setting: 'signals',
    value: { gpc: true, dnt: true },
  },
];
