// What every Node peer does for createConnection, as the Python service does it: verify the
// RS256 token against the identity provider's JWKS, parse the UUID, POST to Flow Connect with the
// caller's token, and map its statuses to coded GraphQL errors.
import { GraphQLError } from "graphql";
import { createRemoteJWKSet, jwtVerify } from "jose";

export const env = {
  host: process.env.HOST ?? "127.0.0.1",
  port: Number(process.env.PORT),
  jwksUrl: process.env.BENCH_JWKS_URL,
  issuer: process.env.BENCH_ISSUER,
  upstream: process.env.BENCH_UPSTREAM_URL,
};
export const ENDPOINT = "/connections/requests";

export const typeDefs = /* GraphQL */ `
  type Query {
    ok: Boolean!
  }
  type Mutation {
    createConnection(targetOrgId: ID!): Boolean!
  }
`;

const jwks = createRemoteJWKSet(new URL(env.jwksUrl));
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const CODES = { 401: "UNAUTHORIZED", 403: "UNAUTHORIZED", 404: "NOT_FOUND", 409: "CONFLICT" };

function coded(message, code) {
  return new GraphQLError(message, { extensions: { code } });
}

async function authenticate(authorization) {
  const token = /^Bearer (.+)$/.exec(authorization ?? "")?.[1];
  if (!token) throw coded("Missing bearer token.", "UNAUTHORIZED");
  try {
    await jwtVerify(token, jwks, { algorithms: ["RS256"], issuer: env.issuer, clockTolerance: 30, requiredClaims: ["exp", "sub"] });
  } catch {
    throw coded("Token is invalid.", "UNAUTHORIZED");
  }
  return token;
}

// post(token, body) -> { status, text }
export function makeResolvers(post) {
  return {
    Query: { ok: () => true },
    Mutation: {
      async createConnection(_parent, { targetOrgId }, context) {
        const token = await authenticate(context.authorization);
        if (!UUID.test(targetOrgId)) throw coded("targetOrgId is not a UUID.", "BAD_USER_INPUT");
        let response;
        try {
          response = await post(token, JSON.stringify({ target_org_id: targetOrgId.toLowerCase() }));
        } catch {
          throw coded("The Flow Connect API is unreachable.", "REMOTE_API_ERROR");
        }
        if (response.status >= 200 && response.status < 300) return true;
        throw coded(`Flow Connect answered ${response.status}.`, CODES[response.status] ?? "REMOTE_API_ERROR");
      },
    },
  };
}
