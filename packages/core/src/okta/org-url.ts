/**
 * Which Okta org URLs offboard will send a credential to. One rule for every Okta call (the API client,
 * the custom resources, the CDK props, the configuration): https only, to an Okta org domain or to a
 * custom domain the operator declared; plain http only for loopback hosts (local tests and fakes).
 */

/** The domains Okta serves orgs from (an org is `<name>.<domain>`). */
export const OKTA_ORG_DOMAINS: ReadonlyArray<string> = [
  "okta.com",
  "oktapreview.com",
  "okta-emea.com",
  "okta-gov.com",
  "okta.mil",
];

/** Options of `checkOktaOrgUrl`. */
export interface OktaOrgUrlOptions {
  /** Custom domains the operator declared (e.g. `login.acme.com`), matched exactly, case-insensitively. */
  readonly customDomains?: ReadonlyArray<string>;
}

/** The verdict of `checkOktaOrgUrl`: the parsed URL, or a message naming what is wrong with it. */
export type OktaOrgUrlCheck =
  | { readonly ok: true; readonly url: URL; readonly loopback: boolean }
  | { readonly ok: false; readonly message: string };

/** True for hosts that never leave this machine: localhost, 127.0.0.0/8 and [::1]. */
export const isLoopbackHost = (hostname: string): boolean => {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127(?:\.\d{1,3}){3}$/.test(h);
};

const show = (value: string): string => JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);

/**
 * Checks an Okta org base URL. The result's `url` is the origin only (any path, query or fragment is
 * dropped); credentials in the URL are refused.
 *
 * @example
 * checkOktaOrgUrl("https://acme.okta.com")              // ok
 * checkOktaOrgUrl("http://acme.okta.com")               // not ok: https only
 * checkOktaOrgUrl("https://login.acme.com", { customDomains: ["login.acme.com"] }) // ok
 */
export const checkOktaOrgUrl = (value: string, options: OktaOrgUrlOptions = {}): OktaOrgUrlCheck => {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return { ok: false, message: `Okta org URL ${show(value)} is not a URL (expected e.g. https://acme.okta.com)` };
  }
  if (url.username !== "" || url.password !== "")
    return { ok: false, message: "Okta org URL must not carry credentials" };
  const host = url.hostname.toLowerCase();
  const loopback = isLoopbackHost(host);
  if (url.protocol === "http:" && !loopback)
    return {
      ok: false,
      message: `Okta org URL must be https (plain http only for loopback hosts), got ${show(value)}`,
    };
  if (url.protocol !== "https:" && url.protocol !== "http:")
    return { ok: false, message: `Okta org URL must be https, got ${show(value)}` };
  const custom = (options.customDomains ?? []).map((d) => d.trim().toLowerCase()).filter((d) => d !== "");
  const oktaDomain = OKTA_ORG_DOMAINS.some((d) => host.endsWith(`.${d}`) && host.length > d.length + 1);
  if (!loopback && !oktaDomain && !custom.includes(host)) {
    return {
      ok: false,
      message:
        `Okta org URL host ${show(host)} is not an Okta org domain (${OKTA_ORG_DOMAINS.map((d) => `*.${d}`).join(", ")}); ` +
        "declare a custom domain explicitly to use it",
    };
  }
  return { ok: true, url: new URL(url.origin), loopback };
};
