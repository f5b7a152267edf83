#!/usr/bin/env bash
# Refreshes the reference page's vendored Swagger UI assets
# (internal/httpapi/docsui/) from the npm registry. Only the two files the page
# needs are kept. Usage: scripts/vendor-docs-ui.sh [version]
set -euo pipefail
VERSION="${1:-5.35.0}"
cd "$(dirname "$0")/.."
dest=internal/httpapi/docsui
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "swagger-ui-dist@$VERSION" >/dev/null)
tar -xzf "$tmp"/swagger-ui-dist-*.tgz -C "$tmp" \
  package/swagger-ui-bundle.js package/swagger-ui.css package/LICENSE
# Drop the source-map comments: the maps are not vendored.
sed -e '/^\/\/# sourceMappingURL=/d' "$tmp/package/swagger-ui-bundle.js" >"$dest/swagger-ui-bundle.js"
sed -e 's#/\*\# sourceMappingURL=[^*]*\*/##' "$tmp/package/swagger-ui.css" >"$dest/swagger-ui.css"
cp "$tmp/package/LICENSE" "$dest/LICENSE.swagger-ui"
echo "$VERSION" >"$dest/VERSION"
echo "vendored swagger-ui-dist@$VERSION into $dest"
