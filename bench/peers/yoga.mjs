// GraphQL Yoga on node:http, Flow Connect through one undici.Pool.
import { createServer } from "node:http";
import { createSchema, createYoga } from "graphql-yoga";
import { Pool } from "undici";
import { ENDPOINT, env, makeResolvers, typeDefs } from "./common.mjs";

const pool = new Pool(env.upstream, { connections: 100 });

async function post(token, body) {
  const { statusCode, body: stream } = await pool.request({
    path: ENDPOINT,
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body,
  });
  await stream.text();
  return { status: statusCode };
}

const yoga = createYoga({
  schema: createSchema({ typeDefs, resolvers: makeResolvers(post) }),
  context: ({ request }) => ({ authorization: request.headers.get("authorization") }),
  graphiql: false,
  landingPage: false,
  logging: false,
});
createServer(yoga).listen(env.port, env.host);
