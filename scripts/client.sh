#!/usr/bin/env bash
# Generates TypeScript types for SPA developers from the OpenAPI document with
# openapi-typescript (npm), then compiles scripts/client-check.ts against them
# with tsc --strict. Needs Node (npx). Nothing generated is committed.
# Usage: scripts/client.sh [output dir]   (default: $TMPDIR/lms-client)
set -euo pipefail
OPENAPI_TYPESCRIPT=openapi-typescript@7.13.0
TYPESCRIPT=typescript@5.9.3
cd "$(dirname "$0")/.."
out="${1:-${TMPDIR:-/tmp}/lms-client}"
mkdir -p "$out"
npx --yes "$OPENAPI_TYPESCRIPT" internal/httpapi/openapi/openapi.yaml -o "$out/api.d.ts"
cp scripts/client-check.ts "$out/client-check.ts"
npx --yes -p "$TYPESCRIPT" tsc --noEmit --strict --target es2020 --module es2020 --moduleResolution bundler "$out/client-check.ts"
echo "TypeScript types: $out/api.d.ts (compile check passed)"
