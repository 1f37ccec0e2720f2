// Apollo Server 4 (its standalone node:http server), Flow Connect through Node's fetch.
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { ENDPOINT, env, makeResolvers, typeDefs } from "./common.mjs";

const url = new URL(ENDPOINT, env.upstream).href;

async function post(token, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body,
    redirect: "manual",
  });
  await response.text();
  return { status: response.status };
}

const server = new ApolloServer({ typeDefs, resolvers: makeResolvers(post), introspection: false });
await startStandaloneServer(server, {
  listen: { host: env.host, port: env.port },
  context: async ({ req }) => ({ authorization: req.headers.authorization }),
});
