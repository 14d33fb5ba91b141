/**
 * How the Okta client authenticates: an API token (`Authorization: SSWS <token>`) or, as Okta recommends
 * for services, an OAuth 2.0 service app: client credentials with `private_key_jwt` (a JWT signed with the
 * app's private key, RS256 for RSA keys and ES256/384/512 for EC keys), giving a short-lived access token
 * sent as `Authorization: Bearer <token>` and renewed a minute before it expires.
 *
 * Signing uses node:crypto only; the key may be PEM (PKCS#8 or PKCS#1) or a JWK (JSON, with its `kid`).
 * The service app must not require DPoP (Okta's "Require Demonstrating Proof of Possession" setting).
 */
import { createPrivateKey, type KeyObject, randomUUID, sign } from "node:crypto";
import { Redacted } from "effect";
import { OktaRequestRefusedError } from "./errors.ts";

/** The least scopes offboard's reads need: the System Log and users. */
export const OKTA_READ_SCOPES: ReadonlyArray<string> = ["okta.logs.read", "okta.users.read"];

export type OktaCredentials =
  | { readonly type: "api-token"; readonly token: Redacted.Redacted<string> }
  | {
      readonly type: "service-app";
      readonly clientId: string;
      /** PEM or JWK (JSON text). */
      readonly privateKey: Redacted.Redacted<string>;
      /** The key's id in the app's JWKS; read from the JWK's `kid` when absent. */
      readonly keyId?: string | undefined;
      /** Default: `okta.logs.read okta.users.read`. */
      readonly scopes?: ReadonlyArray<string> | undefined;
    };

interface SigningKey {
  readonly key: KeyObject;
  readonly alg: "RS256" | "ES256" | "ES384" | "ES512";
  readonly kid?: string | undefined;
}

const refused = (message: string) =>
  new OktaRequestRefusedError({ message, operation: "read the Okta service app key", failure: "permanent" });

/** Parses the service app's private key (PEM or JWK). Throws OktaRequestRefusedError naming the problem. */
export const signingKey = (privateKey: string, keyId?: string): SigningKey => {
  const text = privateKey.trim();
  let key: KeyObject;
  let kid = keyId;
  try {
    if (text.startsWith("{")) {
      const jwk = JSON.parse(text) as Record<string, unknown>;
      if (kid === undefined && typeof jwk.kid === "string") kid = jwk.kid;
      key = createPrivateKey({ key: jwk as never, format: "jwk" });
    } else {
      key = createPrivateKey({ key: text.replace(/\\n/g, "\n"), format: "pem" });
    }
  } catch {
    // The parser's message may quote the key: never pass it on.
    throw refused(
      "OKTA_PRIVATE_KEY is not a private key: give the service app's key as PEM (-----BEGIN PRIVATE KEY-----) or as a JWK with its private members",
    );
  }
  if (key.asymmetricKeyType === "rsa") return { key, alg: "RS256", kid };
  if (key.asymmetricKeyType === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const alg = curve === "secp384r1" ? "ES384" : curve === "secp521r1" ? "ES512" : "ES256";
    return { key, alg, kid };
  }
  throw refused(`OKTA_PRIVATE_KEY is a ${key.asymmetricKeyType ?? "unknown"} key; Okta accepts RSA or EC keys`);
};

const b64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");

/** The client assertion for `private_key_jwt`: iss = sub = client id, aud = the token endpoint, 5 minutes. */
export const clientAssertion = (clientId: string, audience: string, k: SigningKey, nowMs = Date.now()): string => {
  const iat = Math.floor(nowMs / 1000);
  const header = b64url(JSON.stringify({ alg: k.alg, typ: "JWT", ...(k.kid !== undefined && { kid: k.kid }) }));
  const payload = b64url(
    JSON.stringify({ iss: clientId, sub: clientId, aud: audience, iat, exp: iat + 300, jti: randomUUID() }),
  );
  const input = `${header}.${payload}`;
  const signature =
    k.alg === "RS256"
      ? sign("sha256", Buffer.from(input), k.key)
      : sign(k.alg === "ES384" ? "sha384" : k.alg === "ES512" ? "sha512" : "sha256", Buffer.from(input), {
          key: k.key,
          dsaEncoding: "ieee-p1363",
        });
  return `${input}.${b64url(signature)}`;
};

/** The secret strings a message must never contain, for redaction. */
export const secretsOf = (c: OktaCredentials): ReadonlyArray<string> =>
  c.type === "api-token" ? [Redacted.value(c.token)] : [Redacted.value(c.privateKey)];
