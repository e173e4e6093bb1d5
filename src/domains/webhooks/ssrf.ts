import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { AppError } from '../../kernel/errors.js';
import type { HostResolver } from '../../kernel/ports.js';

/**
 * Why an address may not receive webhooks, or null when it is a public unicast address. ipaddr.js
 * names the ranges (loopback, private, linkLocal, carrierGradeNat, uniqueLocal, multicast,
 * unspecified, reserved, ...); only `unicast` is public. IPv4-mapped IPv6 (`::ffff:127.0.0.1`) is
 * judged as the IPv4 address it maps to, and the other IPv6 forms that embed an IPv4 address
 * (6to4, Teredo, NAT64) are refused outright: they could reach a private one. The cloud metadata
 * addresses (169.254.169.254, fd00:ec2::254) fall in linkLocal and uniqueLocal.
 */
export function forbiddenAddress(address: string): string | null {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  const range = ip.range();
  return range === 'unicast' ? null : range;
}

const refusal = (host: string, address: string, range: string) =>
  new AppError(
    'invalid_request',
    `Webhook URL host ${host} resolves to ${address} (${range}): only public addresses receive webhooks (SWITCHBOARD_WEBHOOKS_ALLOW_PRIVATE=1 allows others on a private install)`,
    { param: 'url', range },
  );

/** The URL's host without the brackets of an IPv6 literal. */
const bareHost = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** Parses a webhook URL and checks its scheme: https only, unless private addresses are allowed (then http too). */
export function parseWebhookUrl(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError('invalid_request', 'url is not a valid absolute URL', { param: 'url' });
  }
  const schemes = allowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol))
    throw new AppError(
      'invalid_request',
      allowPrivate
        ? 'url must be http or https'
        : 'url must be https (http is accepted only with SWITCHBOARD_WEBHOOKS_ALLOW_PRIVATE=1)',
      { param: 'url' },
    );
  if (url.username || url.password)
    throw new AppError('invalid_request', 'url must not contain credentials', { param: 'url' });
  return url;
}

/**
 * Resolves the host and returns the addresses to connect to, refusing any answer that is not public
 * (every address of the answer, so a round-robin cannot slip a private one in). Without
 * `allowPrivate` this is the whole SSRF rule; it runs at creation and again at each connection.
 */
export async function resolveAllowed(
  host: string,
  resolve: HostResolver,
  allowPrivate: boolean,
): Promise<{ address: string; family: 4 | 6 }[]> {
  const literal = isIP(host);
  const answers = literal ? [{ address: host, family: literal as 4 | 6 }] : await resolveOrRefuse(host, resolve);
  if (!allowPrivate) {
    for (const a of answers) {
      const range = forbiddenAddress(a.address);
      if (range) throw refusal(host, a.address, range);
    }
  }
  return answers;
}

async function resolveOrRefuse(host: string, resolve: HostResolver) {
  let answers: { address: string; family: 4 | 6 }[];
  try {
    answers = await resolve(host);
  } catch {
    answers = [];
  }
  if (!answers.length)
    throw new AppError('invalid_request', `Webhook URL host ${host} does not resolve`, { param: 'url' });
  return answers;
}

/** The creation-time check: scheme, then the addresses the host resolves to now. */
export async function assertWebhookUrl(raw: string, resolve: HostResolver, allowPrivate: boolean): Promise<URL> {
  const url = parseWebhookUrl(raw, allowPrivate);
  if (!allowPrivate) await resolveAllowed(bareHost(url), resolve, allowPrivate);
  return url;
}

export { bareHost };
