// Drives Debian's Chromium through the dev GraphiQL and a cross-origin page (`make browser-check`).
// `python -m browsercheck` starts the servers and passes where they are in the environment; this
// script only uses the browser, and exits non-zero at the first failed check.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run through python -m browsercheck)`);
  return value;
};
const CHROMIUM = env("BROWSER_CHECK_CHROMIUM");
const USER_DATA_DIR = env("BROWSER_CHECK_USER_DATA_DIR");
const SCREENSHOTS = env("BROWSER_CHECK_SCREENSHOTS");
const API = env("BROWSER_CHECK_API_URL");
const TOKEN = env("BROWSER_CHECK_TOKEN");
const DEV_ORG_ID = env("BROWSER_CHECK_DEV_ORG_ID");
const ALLOWED_ORIGIN = env("BROWSER_CHECK_ALLOWED_ORIGIN");
const DISALLOWED_ORIGIN = env("BROWSER_CHECK_DISALLOWED_ORIGIN");
const TIMEOUT_MS = 20_000;
// GraphiQL keeps the variables and headers editors in one section and hides the one not shown.
const HEADERS_EDITOR = 'section.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor:not(.hidden) .CodeMirror';

// Exactly the flags the issue names; Playwright adds its own automation flags to them.
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  // Belt and braces for requests the browser makes on its own (not through a page, so not
  // routed below): nothing resolves but the loopback hosts this check uses.
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE 127.0.0.2",
];

let passed = 0;
function ok(name) {
  passed += 1;
  console.log(`browser-check: ok   ${name}`);
}
function check(condition, name, detail) {
  if (!condition) throw new Error(`${name}: ${detail}`);
  ok(name);
}

function isLoopback(url) {
  const { protocol, hostname } = new URL(url);
  if (protocol === "data:" || protocol === "blob:" || protocol === "about:") return true;
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

const outside = [];
const pageProblems = [];

function watch(page) {
  page.on("pageerror", (error) => pageProblems.push(`${page.url()}: ${error.message}`));
  page.on("console", (message) => {
    // A CSP violation is how the browser reports a request our page was not meant to make.
    if (message.type() === "error" && /Content Security Policy/i.test(message.text())) {
      pageProblems.push(`${page.url()}: ${message.text()}`);
    }
  });
}

async function headersText(page) {
  return page.evaluate((selector) => document.querySelector(selector)?.CodeMirror.getValue() ?? "", HEADERS_EDITOR);
}

async function responseText(page) {
  return page.evaluate(() => {
    const editor = document.querySelector(".result-window .CodeMirror");
    return editor ? editor.CodeMirror.getValue() : "";
  });
}

// Selects the tab named after the operation, clicks ▶ and returns the JSON GraphiQL shows.
async function runTab(page, operationName, { select = true } = {}) {
  if (select) {
    await page.locator(".graphiql-tab", { hasText: operationName }).click();
  }
  // GraphiQL reads the operation name off the editor 100 ms after a change; ▶ clicked sooner
  // sends the previous tab's name (a person never clicks that fast).
  await page.waitForFunction(
    (name) => document.querySelector(".graphiql-query-editor .CodeMirror")?.CodeMirror.operationName === name,
    operationName,
    { timeout: TIMEOUT_MS },
  );
  // Blanked first, so a repeated identical answer is still seen arriving.
  await page.evaluate(() => document.querySelector(".result-window .CodeMirror")?.CodeMirror.setValue(""));
  const answered = page.waitForResponse(
    (response) => response.url() === `${API}/graphql` && (response.request().postData() ?? "").includes(operationName),
  );
  await page.locator(".graphiql-execute-button").click();
  await answered;
  await page.waitForFunction(
    () => (document.querySelector(".result-window .CodeMirror")?.CodeMirror.getValue() ?? "") !== "",
    null,
    { timeout: TIMEOUT_MS },
  );
  return JSON.parse(await responseText(page));
}

async function shoot(page, name) {
  const path = join(SCREENSHOTS, name);
  await page.screenshot({ path });
  console.log(`browser-check: screenshot ${path}`);
}

async function graphiql(context) {
  const page = await context.newPage();
  watch(page);
  await page.goto(`${API}/graphql`);
  await page.waitForSelector(".graphiql-container", { timeout: TIMEOUT_MS });
  await page.waitForFunction(
    (selector) => /Bearer ey/.test(document.querySelector(selector)?.CodeMirror.getValue() ?? ""),
    HEADERS_EDITOR,
    { timeout: TIMEOUT_MS },
  );
  const firstHeaders = JSON.parse(await headersText(page));
  check(/^Bearer ey/.test(firstHeaders.Authorization), "GraphiQL opens with the dev token in its headers", firstHeaders);
  const tabs = await page.locator(".graphiql-tab").allInnerTexts();
  check(
    ["Viewer", "ConnectToGlobex", "ConnectToUnknownOrganization", "ConnectWithInvalidToken"].every((name) =>
      tabs.some((tab) => tab.includes(name)),
    ),
    "the plan's cases are tabs",
    tabs,
  );
  await shoot(page, "01-graphiql-signed-in.png");

  const viewer = await runTab(page, "Viewer");
  check(
    viewer.data?.viewer?.organizationId === DEV_ORG_ID && Boolean(viewer.data.viewer.flowUserId),
    "{ viewer { flowUserId organizationId } } answers the dev user",
    JSON.stringify(viewer),
  );
  await shoot(page, "02-viewer.png");

  const created = await runTab(page, "ConnectToGlobex");
  check(created.data?.createConnection === true, "the plan's mutation answers true", JSON.stringify(created));
  await shoot(page, "03-create-connection-true.png");

  const repeated = await runTab(page, "ConnectToGlobex", { select: false });
  check(repeated.errors?.[0]?.extensions?.code === "CONFLICT", "repeated, it answers CONFLICT", JSON.stringify(repeated));
  await shoot(page, "04-create-connection-conflict.png");

  const oldHeaders = await headersText(page);
  await page.getByRole("button", { name: "Get a fresh dev token" }).click();
  await page.waitForFunction(
    ({ selector, previous }) => {
      const value = document.querySelector(selector)?.CodeMirror.getValue();
      return value && value !== previous && /Bearer ey/.test(value);
    },
    { selector: HEADERS_EDITOR, previous: oldHeaders },
    { timeout: TIMEOUT_MS },
  );
  const withFreshToken = await runTab(page, "ConnectToGlobex", { select: false });
  check(
    withFreshToken.errors?.[0]?.extensions?.code === "CONFLICT",
    "'Get a fresh dev token' puts a new token, which the API accepts, in the headers",
    JSON.stringify(withFreshToken),
  );
  await shoot(page, "05-fresh-token.png");
  await page.close();
}

// From a page on `origin`, the API called with fetch() as a front-end would.
async function callFrom(context, origin) {
  const page = await context.newPage();
  watch(page);
  await page.goto(`${origin}/`);
  const outcome = await page.evaluate(
    async ({ api, token }) => {
      const out = document.getElementById("out");
      try {
        const response = await fetch(`${api}/graphql`, {
          method: "POST",
          headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: "{ viewer { organizationId } }" }),
        });
        const result = {
          status: response.status,
          requestId: response.headers.get("X-Request-ID"),
          body: await response.json(),
        };
        out.textContent = `fetch() from ${location.origin} succeeded:\n${JSON.stringify(result, null, 2)}`;
        return result;
      } catch (error) {
        out.textContent = `fetch() from ${location.origin} was blocked:\n${error.name}: ${error.message}`;
        return { error: error.name, message: error.message };
      }
    },
    { api: API, token: TOKEN },
  );
  return { page, outcome };
}

async function crossOrigin(context) {
  const allowed = await callFrom(context, ALLOWED_ORIGIN);
  check(
    allowed.outcome.status === 200 &&
      allowed.outcome.body?.data?.viewer?.organizationId === DEV_ORG_ID &&
      Boolean(allowed.outcome.requestId),
    `fetch() from ${ALLOWED_ORIGIN} works and reads X-Request-ID`,
    JSON.stringify(allowed.outcome),
  );
  await shoot(allowed.page, "06-cors-allowed-origin.png");

  const disallowed = await callFrom(context, DISALLOWED_ORIGIN);
  check(
    disallowed.outcome.error === "TypeError",
    `fetch() from ${DISALLOWED_ORIGIN} is blocked by the browser`,
    JSON.stringify(disallowed.outcome),
  );
  await shoot(disallowed.page, "07-cors-disallowed-origin.png");
}

async function main() {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const context = await chromium.launchPersistentContext(USER_DATA_DIR, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1400, height: 900 },
  });
  try {
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (isLoopback(url)) return route.continue();
      outside.push(url);
      return route.abort("blockedbyclient");
    });
    await graphiql(context);
    await crossOrigin(context);
  } catch (error) {
    // What the browser showed when it failed, for the report.
    for (const [index, page] of context.pages().entries()) {
      await shoot(page, `failure-${index}.png`).catch(() => {});
    }
    throw error;
  } finally {
    await context.close();
  }
  check(outside.length === 0, "no request left loopback", outside.join(", "));
  check(pageProblems.length === 0, "no page error or CSP violation", pageProblems.join("\n"));
  console.log(`browser-check: ${passed} passed, 0 failed`);
}

main().catch((error) => {
  console.error(`browser-check: FAILED ${error.stack ?? error}`);
  if (outside.length) console.error(`browser-check: requests that left loopback: ${outside.join(", ")}`);
  if (pageProblems.length) console.error(`browser-check: page problems:\n${pageProblems.join("\n")}`);
  console.log(`browser-check: ${passed} passed, 1 failed`);
  process.exit(1);
});
