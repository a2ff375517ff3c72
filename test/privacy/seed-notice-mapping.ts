/**
 * Every statement of the seed policy (a company website's privacy policy, archived in 2012) and
 * the section of the notice generated from `presets.classic` that carries it, with phrases that
 * section must contain. The seed's own headings come first, then its paragraphs and bullets in
 * order. Where the access log does less than the seed promised (marketing e-mails, say), the
 * notice carries the statement by limiting itself to the listed purposes and by naming the way to
 * object; the phrases say which.
 */
export interface SeedStatement {
  /** A quotation from the seed paragraph or bullet. */
  seed: string;
  /** The notice section (its id) and the phrases it must contain. */
  carriedBy: { section: string; phrases: string[] }[];
}

export const SEED_HEADINGS: Readonly<Record<string, string>> = {
  'Visitor data collected': 'collected',
  'Automatically collected access information': 'collected',
  'Optional information': 'optional',
  'The way we use information': 'use',
  'Use of cookies': 'cookies',
  'Providing information is your choice': 'choices',
  'Our commitment to data security': 'security',
  'How to contact us': 'contact',
};

export const SEED_STATEMENTS: readonly SeedStatement[] = [
  {
    seed: 'This policy is based on our fundamental goal to provide our visitors with quality information and resources while maintaining individual anonymity and personal privacy. Please forward any comments you may have regarding this policy',
    carriedBy: [
      { section: 'intro', phrases: ['what the log records', 'Comments on it are welcome'] },
      { section: 'contact', phrases: ['comments or concerns about this notice'] },
    ],
  },
  {
    seed: 'When you access our web pages, the client information and the essential and nonessential technical information listed below is automatically collected',
    carriedBy: [
      {
        section: 'collected',
        phrases: [
          'recorded automatically',
          'Client information',
          'Essential technical information',
          'Nonessential technical information',
        ],
      },
    ],
  },
  {
    seed: 'No other information is collected through the ... web site except when you deliberately decide to send it to us',
    carriedBy: [
      {
        section: 'collected',
        phrases: ['Nothing else is collected unless you deliberately decide to send it'],
      },
    ],
  },
  {
    seed: 'Client information: the Internet domain, registered company (if applicable), GeoIP information, and Internet address of the computer you are using.',
    carriedBy: [
      {
        section: 'collected',
        phrases: [
          'Internet domain of your network',
          'registered company',
          'GeoIP',
          'Internet address (IP address) of the computer you use',
        ],
      },
    ],
  },
  {
    seed: 'Essential technical information: identification of the page or service you are requesting, type of browser and operating system you are using; and the date and time of access.',
    carriedBy: [
      {
        section: 'collected',
        phrases: [
          'the page or service you request',
          'type of browser and operating system you use',
          'date and time of access',
        ],
      },
    ],
  },
  {
    seed: 'Nonessential technical information: the Internet address of the web site from which you linked directly to our web site, and the "cookie information" described below.',
    carriedBy: [
      {
        section: 'collected',
        phrases: ['web page from which you linked to this site', 'visitor id kept in a cookie'],
      },
    ],
  },
  {
    seed: 'When you send us an e-mail: your name, e-mail address, and the content of your e-mail.',
    carriedBy: [
      {
        section: 'optional',
        phrases: ['your name', 'your e-mail address', 'the content of your message or e-mail'],
      },
    ],
  },
  {
    seed: 'When responding to online forms or polls or other questions or comment in a blog: Any Information entered into these forms',
    carriedBy: [{ section: 'optional', phrases: ['forms, polls, questions or comment fields'] }],
  },
  {
    seed: 'Client information is used to route the requested web page to your computer for viewing.',
    carriedBy: [{ section: 'use', phrases: ['route the requested page to your computer'] }],
  },
  {
    seed: 'In theory, the requested web page and the routing information could be discerned by other entities involved in transmitting the requested page to you. We do not control the privacy practices of those entities.',
    carriedBy: [
      {
        section: 'use',
        phrases: ['networks that carry it', 'we do not control their privacy practices'],
      },
    ],
  },
  {
    seed: 'Essential and nonessential technical information helps us respond to your request in an appropriate format (or in a personalized manner) and helps us plan web site improvements.',
    carriedBy: [
      {
        section: 'use',
        phrases: ['respond in an appropriate format', 'plan web site improvements'],
      },
    ],
  },
  {
    seed: 'Optional information enables us to provide services or information tailored more specifically to your needs, and also allows us to plan web site improvements.',
    carriedBy: [{ section: 'use', phrases: ['Optional information', 'answer your request'] }],
  },
  {
    seed: 'We may use incomplete optional information you have provided to contact you for the purpose of offering additional assistance.',
    carriedBy: [{ section: 'use', phrases: ['contact you about it'] }],
  },
  {
    seed: 'We may keep client information from our systems indefinitely after the web page is transmitted.',
    carriedBy: [
      {
        section: 'retention',
        phrases: ['Client information', 'kept indefinitely', 'there is no time limit'],
      },
    ],
  },
  {
    seed: 'On rare occasions when a "hacker" attempts to breach computer security, logs of access information are collected to permit a security investigation and in such cases may be forwarded together with any other relevant information in our possession to law enforcement agencies.',
    carriedBy: [
      { section: 'collected', phrases: ['attempt to breach the security of this site'] },
      {
        section: 'use',
        phrases: [
          'investigate attempts to breach computer security',
          'forwarded, with other relevant information we hold, to law enforcement agencies',
        ],
      },
    ],
  },
  {
    seed: 'We use information you provide about yourself to complete your specific request. We do not share this information with outside parties except to the extent necessary to complete that request.',
    carriedBy: [
      { section: 'use', phrases: ['answer your request', 'we do not share the access log'] },
    ],
  },
  {
    seed: 'Similarly, we use the information you provide about someone else when making a request only to complete that request.',
    carriedBy: [
      {
        section: 'use',
        phrases: ['used for these purposes only', 'we do not share the access log'],
      },
    ],
  },
  {
    seed: 'We may also use information you provide about yourself to contact you (via email, phone and/or mail), unless prohibited by law, regarding upcoming events, educational resources, products, or other relevant subject matter.  You will have the opportunity to opt-out of any future communications.',
    carriedBy: [
      {
        section: 'use',
        phrases: ['never use this information for purposes other than those listed here'],
      },
      { section: 'choices', phrases: ['objection), contact us'] },
    ],
  },
  {
    seed: 'Finally, we never use or share the personally identifiable information provided to us online in ways unrelated to the ones described above without a clear notice on the particular site and without also providing you an opportunity to opt-out or otherwise prohibit such unrelated uses.',
    carriedBy: [
      {
        section: 'use',
        phrases: ['A new purpose needs a new version of this notice', 'a chance to object first'],
      },
    ],
  },
  {
    seed: 'The ... web site uses "cookies," a small data file transferred by a web site to your computer\'s hard drive.',
    carriedBy: [
      { section: 'cookies', phrases: ['small piece of data a web site stores in your browser'] },
    ],
  },
  {
    seed: 'We send cookies when you surf',
    carriedBy: [{ section: 'cookies', phrases: ['pl_vid', '13 months from your first visit'] }],
  },
  {
    seed: 'Accepting the cookies used on our site does not give us access to your personally identifiable information, but we can use the cookies to identify your computer.',
    carriedBy: [
      {
        section: 'cookies',
        phrases: [
          'The id says nothing about you by itself, but it links your visits together',
          'recognise your browser on later visits',
        ],
      },
    ],
  },
  {
    seed: 'The aggregate information collected permits us to analyze traffic patterns on our site. This can enable us over time to provide you with a better experience by improving the content and making it easier to use.',
    carriedBy: [
      { section: 'cookies', phrases: ['analyse traffic patterns'] },
      { section: 'use', phrases: ['plan web site improvements from aggregate traffic patterns'] },
    ],
  },
  {
    seed: 'There is no legal requirement for you to provide any information at our web site.',
    carriedBy: [{ section: 'choices', phrases: ['There is no legal requirement'] }],
  },
  {
    seed: 'However, our web site will not work without routing information and the essential technical information.',
    carriedBy: [
      {
        section: 'choices',
        phrases: ['cannot work without the client information that routes its pages to you'],
      },
    ],
  },
  {
    seed: 'Failure of your browser to provide nonessential technical information will not prevent your use of our web site but may prevent certain features from working.',
    carriedBy: [
      {
        section: 'choices',
        phrases: ['does not stop you from using this site', 'some features may not work'],
      },
    ],
  },
  {
    seed: 'For any optional information that is requested at the web site, failure to provide the requested information will mean that the particular feature or service associated with that part of the web page may not be available to you.',
    carriedBy: [{ section: 'choices', phrases: ['that feature may not be available to you'] }],
  },
  {
    seed: 'To prevent unauthorized access, maintain data accuracy, and ensure the correct use of information, we have put in place appropriate physical, electronic, and managerial procedures to safeguard and secure the information we collect online.',
    carriedBy: [
      {
        section: 'security',
        phrases: ['To prevent unauthorised access, keep the information accurate'],
      },
    ],
  },
  {
    seed: 'Should you have other questions or concerns about our privacy policies and practices, please contact ... or send us an e-mail',
    carriedBy: [{ section: 'contact', phrases: ['Questions, comments or concerns', 'webmaster@'] }],
  },
];
