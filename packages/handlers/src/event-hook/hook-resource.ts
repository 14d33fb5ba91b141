/**
 * The `Custom::OktaEventHook` resource: registers offboard's receiver (a Function URL) as an Okta Event
 * Hook for the handled event types, with the header secret, and has Okta verify it (Okta sends the
 * one-time verification GET, which the receiver answers). Update re-registers and re-verifies; Delete
 * deactivates and deletes the hook (a hook already gone is fine).
 *
 * Lambda entry: `handler` below, behind a CDK `custom_resources.Provider`.
 */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { type EventHookSpec, makeOktaClient, type OktaEventHookClient, oktaEventHooks } from "@offboard/adapters/okta";
import { checkOktaOrgUrl, HANDLED_EVENT_TYPES } from "@offboard/core";
import { Redacted } from "effect";
import { LogStreamConfigError } from "../log-stream/errors.ts";
import { loadOktaToken } from "../log-stream/handler.ts";
import type { CustomResourceEvent, CustomResourceResponse } from "../log-stream/log-stream-resource.ts";

export interface EventHookProperties {
  readonly oktaOrgUrl: string;
  readonly customDomains: ReadonlyArray<string>;
  /** The secret holding the Okta admin credential (JSON key `adminSecretKey`). */
  readonly adminSecretArn: string;
  readonly adminSecretKey: string;
  /** The secret holding the hook's header value (JSON key `hookSecretKey`). */
  readonly hookSecretArn: string;
  readonly hookSecretKey: string;
  readonly headerName: string;
  readonly name: string;
  readonly uri: string;
  readonly eventTypes: ReadonlyArray<string>;
}

const OKTA_ID = /^[A-Za-z0-9]{6,40}$/;

export const parseEventHookProperties = (raw: Record<string, unknown> | undefined): EventHookProperties => {
  const source = raw ?? {};
  const read = (key: string, fallback?: string): string => {
    const v = source[key];
    if (typeof v === "string" && v.trim().length > 0) return v.trim();
    if (fallback !== undefined) return fallback;
    throw new LogStreamConfigError({ message: `Custom::OktaEventHook property ${key} is missing or empty` });
  };
  const list = (v: string) =>
    v
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  const props: EventHookProperties = {
    oktaOrgUrl: read("OktaOrgUrl"),
    customDomains: list(read("CustomDomains", "")),
    adminSecretArn: read("AdminSecretArn"),
    adminSecretKey: read("AdminSecretKey", "OKTA_API_TOKEN"),
    hookSecretArn: read("HookSecretArn"),
    hookSecretKey: read("HookSecretKey", "OKTA_EVENT_HOOK_SECRET"),
    headerName: read("HeaderName", "Authorization"),
    name: read("Name", "offboard"),
    uri: read("Uri"),
    eventTypes: list(read("EventTypes", HANDLED_EVENT_TYPES.join(","))),
  };
  const checked = checkOktaOrgUrl(props.oktaOrgUrl, { customDomains: props.customDomains });
  if (!checked.ok) throw new LogStreamConfigError({ message: `OktaOrgUrl: ${checked.message}` });
  if (!/^https:\/\//.test(props.uri) && !/^http:\/\/127\.0\.0\.1[:/]/.test(props.uri)) {
    throw new LogStreamConfigError({ message: "Uri must be the receiver's https URL (Okta calls only https)" });
  }
  return props;
};

/** Creates or adopts (same name), verifies and activates the hook. */
const upsert = async (
  hooks: OktaEventHookClient,
  spec: EventHookSpec,
  id?: string,
): Promise<CustomResourceResponse> => {
  const existing = id !== undefined && OKTA_ID.test(id) ? await hooks.get(id) : await hooks.findByName(spec.name);
  const hook = existing !== undefined ? await hooks.replace(existing.id, spec) : await hooks.create(spec);
  const verified = await hooks.verify(hook.id);
  const active = verified.status === "ACTIVE" ? verified : await hooks.activate(hook.id);
  return {
    PhysicalResourceId: hook.id,
    Data: { EventHookId: hook.id, Status: active.status, VerificationStatus: active.verificationStatus },
  };
};

export const handleEventHookEvent = async (
  event: CustomResourceEvent,
  clients: (props: EventHookProperties) => Promise<{ hooks: OktaEventHookClient; secret: string }>,
): Promise<CustomResourceResponse> => {
  const id = event.PhysicalResourceId;
  if (event.RequestType === "Delete") {
    if (id === undefined || !OKTA_ID.test(id)) return { PhysicalResourceId: id ?? "" };
    let props: EventHookProperties;
    try {
      props = parseEventHookProperties(event.ResourceProperties);
    } catch {
      return { PhysicalResourceId: id };
    }
    const { hooks } = await clients(props);
    const current = await hooks.get(id);
    if (current !== undefined) {
      if (current.status === "ACTIVE") await hooks.deactivate(id);
      await hooks.delete(id);
    }
    return { PhysicalResourceId: id };
  }
  const props = parseEventHookProperties(event.ResourceProperties);
  const { hooks, secret } = await clients(props);
  const spec: EventHookSpec = {
    name: props.name,
    uri: props.uri,
    eventTypes: props.eventTypes,
    headerName: props.headerName,
    secret,
  };
  return upsert(hooks, spec, event.RequestType === "Update" ? id : undefined);
};

let secrets: SecretsManagerClient | undefined;

export const handler = async (event: CustomResourceEvent): Promise<CustomResourceResponse> => {
  try {
    const response = await handleEventHookEvent(event, async (props) => {
      secrets ??= new SecretsManagerClient({});
      const token = await loadOktaToken(secrets, props.adminSecretArn, props.adminSecretKey);
      const hookSecret = await loadOktaToken(secrets, props.hookSecretArn, props.hookSecretKey);
      const okta = makeOktaClient({
        orgUrl: props.oktaOrgUrl,
        customDomains: props.customDomains,
        credentials: { type: "api-token", token },
        userAgent: "offboard-event-hook-custom-resource",
      });
      return { hooks: oktaEventHooks(okta), secret: Redacted.value(hookSecret) };
    });
    console.log(JSON.stringify({ message: "Okta event hook request done", requestType: event.RequestType, response }));
    return response;
  } catch (e) {
    const tag = typeof e === "object" && e !== null && "_tag" in e ? String(e._tag) : "Error";
    console.error(
      JSON.stringify({
        message: "Okta event hook request failed",
        requestType: event.RequestType,
        error: tag,
        detail: String(e),
      }),
    );
    throw e;
  }
};
