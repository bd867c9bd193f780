import { isIP } from 'node:net';

/**
 * Whether a peer address is this machine: 127.0.0.0/8, ::1, or either written as an
 * IPv4-mapped IPv6 address (what a dual-stack socket reports). Anything else, including
 * an address we cannot read, is another machine.
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.toLowerCase().replace(/^::ffff:/, '');
  if (isIP(a) === 4) return a.startsWith('127.');
  return a === '::1' || a === '0:0:0:0:0:0:0:1';
}

/** Whether listening on `host` keeps a server to this machine (a name other than localhost counts as not). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || isLoopbackAddress(h);
}
