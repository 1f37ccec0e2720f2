// The development GraphiQL page (app/graphql/ide/page.py): React, ReactDOM and GraphiQL are the
// vendored builds next to this file, so the page needs nothing beyond this API and, when the dev
// stack runs, its identity provider's token endpoint.
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("flow-graphiql-config").textContent);
  const h = React.createElement;
  // The plan's example target (Globex in the dev stack) and a UUID no organization has.
  const PLAN_TARGET_ORG_ID = "9133da7c-3b98-4673-91dc-0dc58cc8740c";
  const UNKNOWN_ORG_ID = "00000000-0000-4000-8000-000000000000";

  function authorizationHeaders(token) {
    return token ? JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2) : "";
  }

  // The plan's Phase-5 cases, one tab each.
  function planTabs(headers) {
    const connect = (name, comment, target) =>
      `# ${comment}\nmutation ${name} {\n  createConnection(targetOrgId: "${target}")\n}\n`;
    return [
      {
        query: "# Who am I: the user of the token in Headers below.\n" +
          "query Viewer {\n  viewer {\n    flowUserId\n    organizationId\n  }\n}\n",
        headers,
      },
      {
        query: connect("ConnectToGlobex", "The plan's example: true, then CONFLICT when repeated.",
          PLAN_TARGET_ORG_ID),
        headers,
      },
      {
        query: connect("ConnectToUnknownOrganization", "An organization Flow Connect does not know: NOT_FOUND.",
          UNKNOWN_ORG_ID),
        headers,
      },
      {
        query: connect("ConnectWithInvalidToken", "An invalid token (see Headers): UNAUTHORIZED.",
          PLAN_TARGET_ORG_ID),
        headers: authorizationHeaders("not-a-valid-token"),
      },
    ];
  }

  const status = document.getElementById("flow-token-status");

  function report(text, isError) {
    status.textContent = text;
    status.classList.toggle("flow-error", Boolean(isError));
  }

  async function fetchDevToken() {
    // No cookies or other credentials: the token endpoint hands out a token, it takes none.
    const response = await fetch(config.devTokenUrl, { cache: "no-store", credentials: "omit" });
    if (!response.ok) {
      throw new Error(`the token endpoint answered ${response.status}`);
    }
    const body = await response.json();
    report(`Fresh dev token, valid ${Math.round(body.expires_in / 3600)} h, fetched ${new Date().toLocaleTimeString()}.`);
    return body.token;
  }

  async function tokenOrNothing() {
    try {
      return await fetchDevToken();
    } catch (error) {
      report(`No dev token: ${error.message}. Is the dev stack (make run) up?`, true);
      return null;
    }
  }

  function memoryStorage() {
    const items = new Map();
    return {
      getItem: (key) => (items.has(key) ? items.get(key) : null),
      setItem: (key, value) => items.set(key, String(value)),
      removeItem: (key) => items.delete(key),
      clear: () => items.clear(),
      get length() {
        return items.size;
      },
    };
  }

  function FlowGraphiQL(props) {
    // Replaces the headers of the tab in view whenever it changes (GraphiQL's `headers` prop).
    const [headers, setHeaders] = React.useState(authorizationHeaders(props.token));
    React.useEffect(() => {
      const button = document.getElementById("flow-fresh-token");
      const refresh = async () => {
        const token = await tokenOrNothing();
        if (token) {
          setHeaders(authorizationHeaders(token));
        }
      };
      button.addEventListener("click", refresh);
      return () => button.removeEventListener("click", refresh);
    }, []);
    return h(GraphiQL, {
      fetcher: GraphiQL.createFetcher({ url: config.endpoint }),
      defaultTabs: planTabs(authorizationHeaders(props.token)),
      headers,
      defaultHeaders: headers,
      defaultEditorToolsVisibility: "headers",
      // Kept in memory only: every load opens the plan's cases with a fresh token (GraphiQL
      // restores stored tabs without their headers otherwise), and no token is written to
      // browser storage.
      storage: memoryStorage(),
    });
  }

  async function start() {
    let token = null;
    if (config.devTokenUrl) {
      document.querySelector(".flow-token").hidden = false;
      token = await tokenOrNothing();
    }
    ReactDOM.createRoot(document.getElementById("graphiql")).render(h(FlowGraphiQL, { token }));
  }

  start();
})();
