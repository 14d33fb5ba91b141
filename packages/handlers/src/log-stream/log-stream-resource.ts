/**
 * The life cycle of the `Custom::OktaLogStream` resource, independent of where the token comes from:
 * Create (adopting a same-named stream), Update (rename in place, or replace when a write-once setting
 * changes), Delete (deactivate then delete; a stream already gone is fine).
 *
 * Used as the `onEvent` handler of a CDK `custom_resources.Provider`: it returns the physical id and
 * attributes, and the provider framework talks to CloudFormation.
 */
import type { AwsEventBridgeSettings, LogStream, OktaLogStreamClient } from "@offboard/adapters/okta";
import { checkOktaOrgUrl } from "@offboard/core";
import { LogStreamConfigError } from "./errors.ts";

/** Resource properties, as the CDK construct passes them (CloudFormation turns every value into a string). */
export interface LogStreamProperties {
  readonly oktaOrgUrl: string;
  readonly secretArn: string;
  /** JSON key in the secret that holds the Okta API token. */
  readonly secretKey: string;
  readonly name: string;
  readonly accountId: string;
  readonly region: string;
  readonly eventSourceName: string;
  /** Custom domains declared as the org's (comma-separated in CloudFormation), besides Okta's own. */
  readonly customDomains: ReadonlyArray<string>;
}

export interface CustomResourceEvent {
  readonly RequestType: "Create" | "Update" | "Delete";
  readonly LogicalResourceId?: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: Record<string, unknown>;
  readonly OldResourceProperties?: Record<string, unknown>;
}

export interface CustomResourceResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

/** What the construct reads with `getAttString`. */
export interface LogStreamAttributes extends Record<string, string> {
  readonly LogStreamId: string;
  readonly LogStreamName: string;
  readonly Status: string;
  readonly EventSourceName: string;
  /** "true" when an existing stream with the same name was taken over instead of created. */
  readonly Adopted: string;
}

const PROPERTY_KEYS = {
  oktaOrgUrl: "OktaOrgUrl",
  secretArn: "SecretArn",
  secretKey: "SecretKey",
  name: "Name",
  accountId: "AccountId",
  region: "Region",
  eventSourceName: "EventSourceName",
  customDomains: "CustomDomains",
} as const satisfies Record<keyof LogStreamProperties, string>;

/** Okta's documented constraint on `settings.eventSourceName`: 1 to 75 of letters, digits, `.`, `-`, `_`. */
const EVENT_SOURCE_NAME = /^[a-zA-Z0-9.\-_]{1,75}$/;

export const parseProperties = (raw: Record<string, unknown> | undefined): LogStreamProperties => {
  const source = raw ?? {};
  const read = (key: keyof LogStreamProperties, fallback?: string) => {
    const cfnKey = PROPERTY_KEYS[key];
    const value = source[cfnKey];
    if (typeof value === "string" && value.trim().length > 0) return value.trim();
    if (fallback !== undefined) return fallback;
    throw new LogStreamConfigError({ message: `Custom::OktaLogStream property ${cfnKey} is missing or empty` });
  };
  const props: LogStreamProperties = {
    oktaOrgUrl: read("oktaOrgUrl"),
    secretArn: read("secretArn"),
    secretKey: read("secretKey", "OKTA_API_TOKEN"),
    name: read("name"),
    accountId: read("accountId"),
    region: read("region"),
    eventSourceName: read("eventSourceName"),
    customDomains: read("customDomains", "")
      .split(",")
      .map((d) => d.trim())
      .filter((d) => d.length > 0),
  };
  // https to an Okta domain or a declared custom domain; plain http only for loopback test servers.
  const checked = checkOktaOrgUrl(props.oktaOrgUrl, { customDomains: props.customDomains });
  if (!checked.ok) throw new LogStreamConfigError({ message: `OktaOrgUrl: ${checked.message}` });
  if (!/^\d{12}$/.test(props.accountId)) {
    throw new LogStreamConfigError({ message: `AccountId must be 12 digits, got ${JSON.stringify(props.accountId)}` });
  }
  if (!EVENT_SOURCE_NAME.test(props.eventSourceName)) {
    throw new LogStreamConfigError({
      message: `EventSourceName must be 1-75 letters, digits, '.', '-' or '_', got ${JSON.stringify(props.eventSourceName)}`,
    });
  }
  return props;
};

/** Okta object ids are short alphanumeric strings (e.g. `0oa1orzg0CHSgPcjZ0g4`); request ids are UUIDs. */
const OKTA_ID = /^[A-Za-z0-9]{6,40}$/;

const settingsOf = (p: LogStreamProperties): AwsEventBridgeSettings => ({
  accountId: p.accountId,
  region: p.region,
  eventSourceName: p.eventSourceName,
});

const sameSettings = (a: AwsEventBridgeSettings, b: AwsEventBridgeSettings) =>
  a.accountId === b.accountId && a.region === b.region && a.eventSourceName === b.eventSourceName;

/** A change to any of these cannot be applied to an existing stream: CloudFormation must replace it. */
export const requiresReplacement = (before: LogStreamProperties, after: LogStreamProperties) =>
  before.oktaOrgUrl !== after.oktaOrgUrl || !sameSettings(settingsOf(before), settingsOf(after));

const attributes = (stream: LogStream, adopted: boolean): LogStreamAttributes => ({
  LogStreamId: stream.id,
  LogStreamName: stream.name,
  Status: stream.status,
  EventSourceName: stream.settings.eventSourceName,
  Adopted: String(adopted),
});

const respond = (stream: LogStream, adopted: boolean): CustomResourceResponse => ({
  PhysicalResourceId: stream.id,
  Data: attributes(stream, adopted),
});

const ensureActive = async (client: OktaLogStreamClient, stream: LogStream) =>
  stream.status === "ACTIVE" ? stream : client.activate(stream.id);

/** Create the stream, or adopt a same-named one whose write-once settings match. Leaves it ACTIVE. */
const createOrAdopt = async (client: OktaLogStreamClient, props: LogStreamProperties) => {
  const wanted = settingsOf(props);
  const existing = await client.findByName(props.name);
  if (existing !== undefined) {
    if (!sameSettings(existing.settings, wanted)) {
      throw new LogStreamConfigError({
        message:
          `An Okta log stream named ${JSON.stringify(props.name)} (id ${existing.id}) already exists with settings ` +
          `${JSON.stringify(existing.settings)}, which differ from the requested ${JSON.stringify(wanted)}. ` +
          "Okta cannot change accountId, region or eventSourceName after creation: choose another name, delete that " +
          "stream in Okta, or pass its event source name to the stack as an existing stream.",
      });
    }
    return respond(await ensureActive(client, existing), true);
  }
  const created = await client.create(props.name, wanted);
  return respond(await ensureActive(client, created), false);
};

const update = async (client: OktaLogStreamClient, event: CustomResourceEvent, props: LogStreamProperties) => {
  const before = parseProperties(event.OldResourceProperties);
  const id = event.PhysicalResourceId ?? "";
  if (requiresReplacement(before, props)) {
    if (before.oktaOrgUrl === props.oktaOrgUrl && before.name === props.name) {
      throw new LogStreamConfigError({
        message:
          "accountId, region and eventSourceName of an Okta log stream cannot change after creation, so the stream " +
          "must be replaced; Okta requires unique names and the new stream is created before the old one is " +
          `deleted. Change the stream name as well (for example ${JSON.stringify(`${props.name}-2`)}).`,
      });
    }
    // A new physical id makes CloudFormation send Delete for the old stream once the update succeeds.
    return createOrAdopt(client, props);
  }
  const current = await client.get(id);
  if (current === undefined) return createOrAdopt(client, props);
  const renamed = current.name === props.name ? current : await client.replace(id, props.name, current.settings);
  return respond(await ensureActive(client, renamed), false);
};

const remove = async (client: OktaLogStreamClient, event: CustomResourceEvent): Promise<CustomResourceResponse> => {
  const id = event.PhysicalResourceId ?? "";
  const current = id.length > 0 ? await client.get(id) : undefined;
  if (current !== undefined) {
    if (current.status !== "INACTIVE") await client.deactivate(id);
    await client.delete(id);
  }
  return { PhysicalResourceId: id };
};

/**
 * Handle one custom-resource request. `clientFor` builds an Okta client for the resource's properties
 * (in Lambda: reads the token from Secrets Manager; in tests: points at a loopback server).
 */
export const handleLogStreamEvent = async (
  event: CustomResourceEvent,
  clientFor: (props: LogStreamProperties) => Promise<OktaLogStreamClient>,
): Promise<CustomResourceResponse> => {
  switch (event.RequestType) {
    case "Create": {
      const props = parseProperties(event.ResourceProperties);
      return createOrAdopt(await clientFor(props), props);
    }
    case "Update": {
      const props = parseProperties(event.ResourceProperties);
      return update(await clientFor(props), event, props);
    }
    case "Delete": {
      // A Delete must not get stuck: when the Create failed (bad properties, or Okta refused), CloudFormation
      // still sends Delete during rollback, with a physical id that is not an Okta id. Nothing to do then.
      const id = event.PhysicalResourceId ?? "";
      if (!OKTA_ID.test(id)) return { PhysicalResourceId: id };
      let props: LogStreamProperties;
      try {
        props = parseProperties(event.ResourceProperties);
      } catch (e) {
        if (e instanceof LogStreamConfigError) return { PhysicalResourceId: id };
        throw e;
      }
      return remove(await clientFor(props), event);
    }
    default:
      throw new LogStreamConfigError({
        message: `Unknown RequestType ${JSON.stringify((event as { RequestType: unknown }).RequestType)}`,
      });
  }
};
