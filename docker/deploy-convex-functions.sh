#!/bin/sh
# One-shot: deploy the repository's convex/ functions to the stack's backend with the official CLI.
# The admin key is read from the file the convex-admin-key service wrote, into the environment only
# (never onto a command line, where `ps` would show it).
set -eu
key_file="${CONVEX_SELF_HOSTED_ADMIN_KEY_FILE:?set CONVEX_SELF_HOSTED_ADMIN_KEY_FILE}"
if [ ! -s "$key_file" ]; then
  echo "convex-functions failed: admin key file $key_file is missing or empty; run the convex-admin-key service first" >&2
  exit 1
fi
CONVEX_SELF_HOSTED_ADMIN_KEY=$(cat "$key_file")
export CONVEX_SELF_HOSTED_ADMIN_KEY
echo "convex-functions: deploying convex/ to ${CONVEX_SELF_HOSTED_URL:?set CONVEX_SELF_HOSTED_URL}" >&2
exec npx convex deploy --yes
