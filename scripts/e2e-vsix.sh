#!/usr/bin/env bash
# Issue 4, acceptance 1, on what a user installs: packs the .vsix (npm run package), unpacks it and runs the
# newcomer flow of test/e2e/api/flow-train.trusted.ts (palette → quick preset on WebGPU → the loss falls → Stop
# → Adapters view → inspector → Evaluate) in code-server against the unpacked extension instead of the
# repository. Needs the runner bundled by `npm run test:e2e` (.tmp/e2e-runner/run.mjs) and python3 (unzip).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent package > .tmp/vsix-package.log 2>&1 || {
  cat .tmp/vsix-package.log
  exit 1
}
rm -rf .tmp/vsix
python3 -m zipfile -e prompt-adapter-studio.vsix .tmp/vsix
echo "[e2e-vsix] $(du -k prompt-adapter-studio.vsix | cut -f1) KiB .vsix unpacked to .tmp/vsix/extension"
PAS_E2E_EXTENSION_PATH="$PWD/.tmp/vsix/extension" \
  PAS_E2E_PHASES=trusted \
  PAS_E2E_GREP="${PAS_E2E_VSIX_GREP:-newcomer}" \
  PAS_E2E_RESULTS="${PAS_E2E_VSIX_RESULTS:-test-results/e2e-vsix}" \
  node .tmp/e2e-runner/run.mjs
