#!/usr/bin/env bash
# Offline checks of everything under deploy/, the Dockerfile and docker-compose.yml; no Docker
# engine or cluster needed. Installs what it lacks (Debian packages, the validator's npm
# packages), then:
#   1. docker-compose.yml parses (Debian's docker-compose 1.29: `config -q`);
#   2. deploy/kubernetes/base and every overlay render with `kubectl kustomize`;
#   3. deploy/validate/validate.mjs: every rendered object against the Kubernetes and KEDA
#      schemas, strictly (unknown fields), the deployment's own rules, cfg.yaml with the services'
#      validator (when built), the Dockerfile (lint + targets), compose vs its config, dashboard
#      and alerts vs the metrics the services define;
#   4. promtool: the alert rules and the dashboard's queries parse, the alert unit tests pass.
# Ends with one summary line; exits non-zero on any problem.
#   tools/check-deploy.sh            (from anywhere; about 15 s once the tools are installed)
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
tools_dir="${POSTEE_DEPLOY_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/postee-deploy}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
say() { printf '== %s\n' "$*"; }

# --- tools -------------------------------------------------------------------------------------
apt_updated=
apt_update() { [ -n "$apt_updated" ] || { apt-get update -qq; apt_updated=1; }; }
missing=()
command -v kubectl >/dev/null || missing+=(kubernetes-client)
command -v docker-compose >/dev/null || missing+=(docker-compose)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} (Debian)"
  apt_update
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# promtool: taken out of Debian's prometheus package without installing it (the package would
# install and start a Prometheus server); cached outside the work tree.
promtool=$(command -v promtool || true)
if [ -z "$promtool" ]; then
  promtool="$tools_dir/promtool"
  if [ ! -x "$promtool" ]; then
    say "fetching promtool (Debian package prometheus, extracted to $tools_dir)"
    mkdir -p "$tools_dir" "$work/deb"
    apt-cache show prometheus >/dev/null 2>&1 || apt_update
    (cd "$work/deb" && apt-get download prometheus >/dev/null 2>&1) || { apt_update; (cd "$work/deb" && apt-get download prometheus >/dev/null); }
    dpkg-deb -x "$work"/deb/prometheus_*.deb "$work/deb/x"
    install -m 0755 "$work/deb/x/usr/bin/promtool" "$promtool"
  fi
fi
# The validator's packages (deploy/validate, outside the pnpm workspace), again only when the
# lockfile changed since the last install.
stamp=deploy/validate/node_modules/.postee-lock.sha256
lock_sum=$(sha256sum deploy/validate/package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$lock_sum" ]; then
  say "installing the validator's npm packages (npm ci --prefix deploy/validate)"
  npm ci --prefix deploy/validate --no-audit --no-fund --loglevel=error >/dev/null
  echo "$lock_sum" >"$stamp"
fi

# --- 1. docker compose -----------------------------------------------------------------------
# docker-compose 1.29 predates the top-level `name:` key of the Compose spec; it is the only key
# taken out before parsing.
say "docker-compose.yml"
compose_services=0
if sed '/^name:/d' docker-compose.yml | docker-compose -f - --project-directory . config -q; then
  compose_services=$(sed '/^name:/d' docker-compose.yml | docker-compose -f - --project-directory . config --services | wc -l)
else
  failed+=("docker-compose config")
fi

# --- 2. kustomize ----------------------------------------------------------------------------
say "kubectl kustomize ($(kubectl version --client 2>/dev/null | head -1))"
mkdir -p "$work/rendered"
renders=0
for dir in deploy/kubernetes/base deploy/kubernetes/overlays/*/; do
  dir=${dir%/}
  name=$(basename "$dir")
  # Deprecation notes of a current kustomize about `bases:` and `patches*` (kept on purpose for
  # kubectl 1.20's kustomize) are not problems.
  if kubectl kustomize "$dir" >"$work/rendered/$name.yaml" 2>"$work/$name.err"; then
    renders=$((renders + 1))
    grep -v "^# Warning: '\(bases\|patchesStrategicMerge\|patchesJson6902\)' is deprecated" "$work/$name.err" >&2 || true
  else
    cat "$work/$name.err" >&2
    failed+=("kustomize $dir")
    rm -f "$work/rendered/$name.yaml"
  fi
done

# --- 3. the validator ------------------------------------------------------------------------
say "validate (schemas, strict fields, rules, Dockerfile, compose, dashboard, alerts)"
node deploy/validate/validate.mjs --repo . --rendered "$work/rendered" --rules-out "$work/dashboard-rules.json" >"$work/validate.out" 2>&1 || failed+=("validate")
grep -v '^validate: ' "$work/validate.out" >&2 || true
validate_line=$(grep '^validate: ' "$work/validate.out" || echo 'validate: did not finish')

# --- 4. promtool -----------------------------------------------------------------------------
say "promtool ($("$promtool" --version 2>&1 | head -1))"
if ! "$promtool" check rules deploy/observability/alerts.yaml >"$work/promtool.out" 2>&1; then
  cat "$work/promtool.out" >&2
  failed+=("promtool check rules alerts.yaml")
fi
if [ -f "$work/dashboard-rules.json" ] && ! "$promtool" check rules "$work/dashboard-rules.json" >"$work/promtool.out" 2>&1; then
  sed "s#$work/##" "$work/promtool.out" >&2
  failed+=("promtool: dashboard queries")
fi
if ! "$promtool" test rules deploy/observability/alerts.test.yaml >"$work/promtool.out" 2>&1; then
  cat "$work/promtool.out" >&2
  failed+=("promtool test rules")
fi
rule_tests=$(grep -c '^  - name:' deploy/observability/alerts.test.yaml || true)

# --- summary ---------------------------------------------------------------------------------
seconds=$(($(date +%s) - started))
detail="compose ($compose_services services), $renders kustomize renders, ${validate_line#validate: }, promtool (rules, dashboard queries, $rule_tests rule tests)"
if [ ${#failed[@]} -eq 0 ]; then
  echo "check-deploy: OK in ${seconds}s: $detail"
else
  echo "check-deploy: FAILED in ${seconds}s ($(IFS=,; echo "${failed[*]}")): $detail"
  exit 1
fi
