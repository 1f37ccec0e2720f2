#!/usr/bin/env bash
# Rebuilds app/graphql/ide/static/vendor/ from web/graphiql/package-lock.json: the GraphiQL page
# the development API serves loads nothing from the internet, so its browser builds are committed
# with their licences and a SHA-256 manifest. `make run` needs neither npm nor a network; this
# script is only for changing a version (edit web/graphiql/package.json, `npm install
# --package-lock-only` there, run this, commit). `--check` verifies the committed files against
# the manifest without npm.
set -euo pipefail
cd "$(dirname "$0")/.."
vendor=app/graphql/ide/static/vendor

if [ "${1:-}" = "--check" ]; then
    (cd "$vendor" && sha256sum --check --quiet SHA256SUMS)
    echo "vendor-graphiql: $vendor matches its SHA256SUMS"
    exit 0
fi

# `npm ci` installs exactly the lockfile; lifecycle scripts are not needed to copy built files.
(cd web/graphiql && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
modules=web/graphiql/node_modules
rm -rf "$vendor"
mkdir -p "$vendor"
# React 18 is the last major with UMD builds, which graphiql's own browser bundle expects as
# the globals React and ReactDOM.
cp "$modules/react/umd/react.production.min.js" "$vendor/"
cp "$modules/react-dom/umd/react-dom.production.min.js" "$vendor/"
# graphiql.min.js bundles graphql-js, @graphiql/react, CodeMirror and their fonts (inlined in the CSS).
cp "$modules/graphiql/graphiql.min.js" "$modules/graphiql/graphiql.min.css" "$vendor/"
for package in graphiql react react-dom; do
    cp "$modules/$package/LICENSE" "$vendor/LICENSE.$package"
done
node -e '
    const lock = require("./web/graphiql/package-lock.json");
    const pinned = ["graphiql", "react", "react-dom"].map((name) => `${name} ${lock.packages["node_modules/" + name].version}`);
    console.log(pinned.join("\n"));
' > "$vendor/VERSIONS"
(cd "$vendor" && sha256sum -- *.js *.css LICENSE.* VERSIONS > SHA256SUMS)
du -sh "$vendor"
echo "vendor-graphiql: wrote $vendor; commit it with web/graphiql/package-lock.json"
