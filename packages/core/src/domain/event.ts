import type { LifecycleKind } from "./catalogue.ts";

/** A person (or system principal) as Okta names it. */
export interface Person {
  /** Okta id (`00u…` for users, `spr…` for system principals); "unknown" when Okta gave none. */
  readonly id: string;
  /** Okta `alternateId`: the login, usually an email. */
  readonly login?: string;
  readonly displayName?: string;
  /** Okta's type: `User`, `SystemPrincipal`, `PublicClientApp`, … */
  readonly type?: string;
}

/** How a person is named in prose: display name, else login, else id. Raw: escape it for the medium. */
export const personName = (p: Person): string => p.displayName ?? p.login ?? p.id;

/** "Jane Doe (jane@acme.com)", or whichever of the two exists, else the id. Raw: escape it for the medium. */
export const personLabel = (p: Person): string => {
  const { displayName, login } = p;
  if (displayName !== undefined && login !== undefined && displayName !== login) return `${displayName} (${login})`;
  return displayName ?? login ?? p.id;
};

/** Where the change was made from, as far as Okta knows. */
export interface ClientInfo {
  readonly ip?: string;
  readonly userAgent?: string;
  /** "City, State, Country" from Okta's geographical context. */
  readonly geo?: string;
}

/** A user lifecycle change offboard acts on. */
export interface OffboardingEvent {
  /** The Okta event `uuid`: the idempotency key for every sink. */
  readonly id: string;
  readonly kind: LifecycleKind;
  readonly eventType: string;
  /** Okta's `published` timestamp, as sent. */
  readonly occurredAt: string;
  /** The user whose lifecycle changed (the `User` target). */
  readonly subject: Person;
  /** Who made the change. */
  readonly actor: Person;
  /** Okta's `outcome.reason`, when given. */
  readonly reason?: string;
  readonly client: ClientInfo;
  /** Okta `transaction.id`: correlates the events of one operation. */
  readonly transactionId?: string;
  /** The Okta org (subdomain or host) from the delivery envelope, when it names one. */
  readonly oktaOrg?: string;
}

/** Milliseconds since the epoch of an event's `published`, or +Infinity when Okta's date is unusable. */
export const publishedMillis = (published: string | undefined): number => {
  if (published === undefined) return Number.POSITIVE_INFINITY;
  const ms = Date.parse(published);
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
};
