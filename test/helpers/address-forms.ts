/**
 * Spellings of a client address as `req.ip` can carry them (a socket, or `X-Forwarded-For` behind
 * a trusted proxy), and what the library must make of each. Written for this project from the
 * RFCs named; no package ships such a table.
 */
export interface AddressForm {
  /** What `req.ip` holds. */
  raw: string;
  /**
   * The address minimised, hashed, pseudonymised and looked up: the client as it would be seen
   * over IPv4 when the IPv6 form carries an IPv4 address; `undefined` when refused.
   */
  client: string | undefined;
  /** What `ip: { mode: 'truncate' }` stores (/24 and /48). */
  truncated: string | undefined;
  /** What `ip: { mode: 'full' }` stores: the address as received, without port or brackets. */
  full: string | undefined;
}

// biome-ignore format: a table reads best one case per line
export const ADDRESS_FORMS: [string, AddressForm][] = [
  ['IPv4', { raw: '203.0.113.77', client: '203.0.113.77', truncated: '203.0.113.0', full: '203.0.113.77' }],
  ['IPv4 with a port', { raw: '203.0.113.77:61234', client: '203.0.113.77', truncated: '203.0.113.0', full: '203.0.113.77' }],
  ['IPv6', { raw: '2001:db8:abcd:12::1', client: '2001:db8:abcd:12::1', truncated: '2001:db8:abcd::', full: '2001:db8:abcd:12::1' }],
  ['IPv6 in brackets with a port', { raw: '[2001:db8:abcd:12::1]:443', client: '2001:db8:abcd:12::1', truncated: '2001:db8:abcd::', full: '2001:db8:abcd:12::1' }],
  ['IPv6 in brackets', { raw: '[2001:db8:abcd:12::1]', client: '2001:db8:abcd:12::1', truncated: '2001:db8:abcd::', full: '2001:db8:abcd:12::1' }],
  ['IPv6 expanded, upper case', { raw: '2001:0DB8:ABCD:0012:0000:0000:0000:0001', client: '2001:db8:abcd:12::1', truncated: '2001:db8:abcd::', full: '2001:db8:abcd:12::1' }],
  ['IPv6 with a zone id', { raw: 'fe80::1%eth0', client: 'fe80::1', truncated: 'fe80::', full: 'fe80::1' }],
  ['IPv6 with a zone id, brackets and a port', { raw: '[fe80::1%eth0]:8080', client: 'fe80::1', truncated: 'fe80::', full: 'fe80::1' }],
  ['IPv6 loopback', { raw: '::1', client: '::1', truncated: '::', full: '::1' }],
  ['IPv4-mapped (RFC 4291)', { raw: '::ffff:203.0.113.77', client: '203.0.113.77', truncated: '203.0.113.0', full: '203.0.113.77' }],
  ['IPv4-mapped, hex', { raw: '::ffff:cb00:714d', client: '203.0.113.77', truncated: '203.0.113.0', full: '203.0.113.77' }],
  ['IPv4-mapped in brackets with a port', { raw: '[::ffff:203.0.113.77]:443', client: '203.0.113.77', truncated: '203.0.113.0', full: '203.0.113.77' }],
  // ipaddr.js reads the dotted form as IPv4-mapped (its "deprecated transitional" form).
  ['IPv4-compatible (RFC 4291, deprecated)', { raw: '::203.0.113.77', client: '203.0.113.77', truncated: '203.0.113.0', full: '203.0.113.77' }],
  ['IPv4-compatible, hex', { raw: '::cb00:714d', client: '203.0.113.77', truncated: '203.0.113.0', full: '::cb00:714d' }],
  ['IPv4-translated (RFC 2765)', { raw: '::ffff:0:203.0.113.77', client: '203.0.113.77', truncated: '203.0.113.0', full: '::ffff:0:cb00:714d' }],
  ['6to4 (RFC 3056)', { raw: '2002:cb00:714d::1', client: '203.0.113.77', truncated: '203.0.113.0', full: '2002:cb00:714d::1' }],
  ['6to4 with a subnet and host', { raw: '2002:cb00:714d:7:1:2:3:4', client: '203.0.113.77', truncated: '203.0.113.0', full: '2002:cb00:714d:7:1:2:3:4' }],
  ['NAT64 well-known prefix (RFC 6052)', { raw: '64:ff9b::203.0.113.77', client: '203.0.113.77', truncated: '203.0.113.0', full: '64:ff9b::cb00:714d' }],
  // The local-use prefix has no fixed place for the IPv4 address; its /48 keeps none of it.
  ['NAT64 local-use prefix (RFC 8215)', { raw: '64:ff9b:1::cb00:714d', client: '64:ff9b:1::cb00:714d', truncated: '64:ff9b:1::', full: '64:ff9b:1::cb00:714d' }],
  // RFC 4380's example: server 65.54.227.120, client 192.0.2.45 port 40000, bits inverted.
  ['Teredo (RFC 4380)', { raw: '2001:0:4136:e378:8000:63bf:3fff:fdd2', client: '192.0.2.45', truncated: '192.0.2.0', full: '2001:0:4136:e378:8000:63bf:3fff:fdd2' }],
  ['unspecified IPv6', { raw: '::', client: '::', truncated: '::', full: '::' }],
  ['IPv4 with leading zeros', { raw: '203.000.113.077', client: undefined, truncated: undefined, full: undefined }],
  ['IPv4 octal', { raw: '0313.0.0161.0115', client: undefined, truncated: undefined, full: undefined }],
  ['IPv4 hex', { raw: '0xcb.0.0x71.0x4d', client: undefined, truncated: undefined, full: undefined }],
  ['IPv4 as one number', { raw: '3405803853', client: undefined, truncated: undefined, full: undefined }],
  ['IPv4 in three parts', { raw: '203.0.29005', client: undefined, truncated: undefined, full: undefined }],
  ['IPv4 in brackets', { raw: '[203.0.113.77]:80', client: undefined, truncated: undefined, full: undefined }],
  ['a port out of range', { raw: '203.0.113.77:65536', client: undefined, truncated: undefined, full: undefined }],
  ['an empty port', { raw: '203.0.113.77:', client: undefined, truncated: undefined, full: undefined }],
  ['brackets, empty port', { raw: '[2001:db8::1]:', client: undefined, truncated: undefined, full: undefined }],
  ['brackets never closed', { raw: '[2001:db8::1', client: undefined, truncated: undefined, full: undefined }],
  ['a host name and port', { raw: 'localhost:8080', client: undefined, truncated: undefined, full: undefined }],
];
